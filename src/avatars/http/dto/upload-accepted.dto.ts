export class UploadAcceptedDto {
  uploadId: string;
  /** Poll `GET /jobs/{jobId}` for the job's state and progress. */
  jobId: string;
  status: 'queued';
  /** Poll this for the upload's outcome. */
  statusUrl: string;
}
