import { Api, failureFrom } from './api';
import { Crop } from './cropper';

interface UploadToken {
  uploadUrl: string;
  token: string;
  key: string;
  maxBytes: number;
}

export interface Accepted {
  uploadId: string;
  jobId: string;
}

/**
 * The client direct upload: a token for one key, the bytes straight to the store (the API with the local driver,
 * Qiniu's up host otherwise) with a real bytes-sent progress report, then a confirm that hands it to a worker.
 */
export async function uploadDirectly(api: Api, file: File, crop: Crop | undefined, onSent: (fraction: number) => void): Promise<Accepted> {
  const ticket = await api.request<UploadToken>('POST', 'users/me/avatar/upload-token', { size: file.size });
  const form = new FormData();
  form.append('token', ticket.token);
  form.append('key', ticket.key);
  form.append('file', file, file.name);
  await post(ticket.uploadUrl, form, onSent);
  return api.request<Accepted>('POST', 'users/me/avatar/confirm', { key: ticket.key, ...(crop ? { crop } : {}) });
}

/** XMLHttpRequest because fetch reports no upload progress. */
function post(url: string, form: FormData, onSent: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onSent(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) return resolve();
      // Qiniu refuses a type outside the token's mimeLimit with 403 "limited mimeType"; to a person that is a 415.
      const status = request.status === 403 && /mime/i.test(request.responseText) ? 415 : request.status;
      reject(failureFrom(status, request.responseText, request.getResponseHeader('retry-after')));
    };
    request.onerror = () => reject(new TypeError('network error'));
    request.send(form);
  });
}
