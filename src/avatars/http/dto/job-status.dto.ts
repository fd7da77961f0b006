import { JobState } from '../../../queue/result-backend';

export class JobStatusDto {
  id: string;
  name: string;
  state: JobState;
  /** 0–100. */
  progress: number;
  attemptsMade: number;
  result?: unknown;
  failedReason?: string;
}
