import { ImageRejectedError } from '../../images/image-rejected.error';
import { StorageUnavailableError } from '../../storage/storage.errors';
import { publicFailureReason, publicRetryReason } from './failure-reason';

describe('failure reasons a client reads', () => {
  it('asks for a new upload only once no attempt is left', () => {
    const outage = new StorageUnavailableError('connect ECONNREFUSED 127.0.0.1:9000');
    expect(publicFailureReason(outage)).toBe('the storage service was unavailable; please upload again later');
    expect(publicRetryReason(outage)).toBe('the storage service was unavailable; trying again shortly');
  });

  it('keeps messages written for people, and hides library internals, in both', () => {
    expect(publicRetryReason(new ImageRejectedError('corrupt or truncated image'))).toBe('corrupt or truncated image; trying again shortly');
    expect(publicRetryReason(new Error('ETIMEDOUT /var/lib/x at Socket.<anonymous>'))).toBe('processing failed unexpectedly; trying again shortly');
  });
});
