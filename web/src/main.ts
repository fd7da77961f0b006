import { Api, RequestFailed } from './api';
import { Cropper } from './cropper';
import { uploadDirectly } from './direct-upload';
import { followUploadToTheEnd, UploadEvent } from './live-status';
import { explain, explainFailedUpload } from './messages';
import { placeholderUrl } from './placeholder';

interface Profile {
  username: string;
  avatar: { variants: Record<string, string>; placeholder: string } | null;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  auth: $<HTMLFormElement>('auth'),
  username: $<HTMLInputElement>('username'),
  password: $<HTMLInputElement>('password'),
  register: $<HTMLButtonElement>('register'),
  profile: $('profile'),
  who: $('who'),
  frame: document.querySelector<HTMLElement>('.avatar-frame')!,
  avatar: $<HTMLImageElement>('avatar'),
  noAvatar: $('no-avatar'),
  remove: $<HTMLButtonElement>('remove'),
  logout: $<HTMLButtonElement>('logout'),
  dropzone: $('dropzone'),
  file: $<HTMLInputElement>('file'),
  editor: $('editor'),
  upload: $<HTMLButtonElement>('upload'),
  cancel: $<HTMLButtonElement>('cancel'),
  progress: $('progress'),
  stage: $('stage'),
  bar: $<HTMLProgressElement>('bar'),
  message: $('message'),
};

const api = new Api();
const cropper = new Cropper($<HTMLCanvasElement>('crop'), $<HTMLInputElement>('zoom'));
let picked: File | undefined;
let maxBytes: number | undefined;

function say(text: string, ok = false): void {
  ui.message.textContent = text;
  ui.message.classList.toggle('ok', ok);
  ui.message.hidden = !text;
}

function fail(error: unknown): void {
  if (error instanceof RequestFailed && error.status === 401 && api.token) logOut();
  say(explain(error, maxBytes));
}

function logOut(): void {
  api.token = null;
  ui.profile.hidden = true;
  ui.auth.hidden = false;
}

async function logIn(register: boolean): Promise<void> {
  say('');
  const credentials = { username: ui.username.value.trim(), password: ui.password.value };
  if (register) await api.request('POST', 'auth/register', credentials);
  api.token = (await api.request<{ accessToken: string }>('POST', 'auth/login', credentials)).accessToken;
  ui.password.value = '';
  await showProfile();
}

async function showProfile(): Promise<void> {
  const me = await api.request<Profile>('GET', 'users/me');
  ui.who.textContent = me.username;
  ui.auth.hidden = true;
  ui.profile.hidden = false;
  showAvatar(me.avatar);
}

/** Paints the ThumbHash at once, then swaps in the real image when it has loaded. */
function showAvatar(avatar: Profile['avatar']): void {
  ui.remove.hidden = !avatar;
  ui.noAvatar.hidden = !!avatar;
  ui.avatar.hidden = true;
  ui.frame.style.backgroundImage = avatar ? `url("${placeholderUrl(avatar.placeholder)}")` : '';
  ui.frame.dataset.state = avatar ? 'placeholder' : 'empty';
  if (!avatar) return ui.avatar.removeAttribute('src');
  ui.avatar.onload = () => {
    ui.avatar.hidden = false;
    ui.frame.dataset.state = 'loaded';
  };
  ui.avatar.src = fittingVariant(avatar.variants, ui.frame.clientWidth * (window.devicePixelRatio || 1));
}

function fittingVariant(variants: Record<string, string>, pixels: number): string {
  const sizes = Object.keys(variants).map(Number).sort((a, b) => a - b);
  return variants[String(sizes.find((size) => size >= pixels) ?? sizes[sizes.length - 1])];
}

async function pick(file: File | undefined): Promise<void> {
  if (!file) return;
  say('');
  picked = file;
  try {
    cropper.load(await createImageBitmap(file));
  } catch {
    // The browser cannot show it (HEIC in most browsers, a broken file…): let the server judge it, uncropped.
    return upload();
  }
  ui.dropzone.hidden = true;
  ui.editor.hidden = false;
}

function closeEditor(): void {
  cropper.clear();
  ui.file.value = '';
  ui.editor.hidden = true;
  ui.dropzone.hidden = false;
}

function showStage(text: string, percent: number): void {
  ui.progress.hidden = false;
  ui.stage.textContent = text;
  ui.bar.value = percent;
}

const STAGES: Record<UploadEvent['status'], string> = {
  queued: 'Waiting for a worker…',
  processing: 'Processing',
  done: 'Done',
  failed: 'Failed',
};

async function upload(): Promise<void> {
  const file = picked;
  if (!file) return;
  const crop = cropper.crop;
  ui.upload.disabled = ui.cancel.disabled = true;
  ui.progress.dataset.state = 'uploading';
  try {
    showStage('Uploading… 0%', 0);
    const accepted = await uploadDirectly(api, file, crop, (sent) => showStage(`Uploading… ${Math.round(sent * 100)}%`, sent * 100));
    closeEditor();
    const last = await followUploadToTheEnd(api, accepted.uploadId, (event) => {
      ui.progress.dataset.state = event.status;
      showStage(event.status === 'processing' ? `Processing… ${event.progress}%` : STAGES[event.status], event.progress);
    });
    if (last.status === 'failed') return say(explainFailedUpload(last.error ?? 'unknown error'));
    await showProfile();
    say('Your new avatar is live.', true);
  } catch (error) {
    fail(error);
  } finally {
    ui.progress.hidden = ui.progress.dataset.state === 'done';
    ui.upload.disabled = ui.cancel.disabled = false;
    if (!ui.editor.hidden && !(ui.progress.dataset.state === 'uploading')) closeEditor();
    picked = undefined;
  }
}

async function removeAvatar(): Promise<void> {
  say('');
  await api.request('DELETE', 'users/me/avatar');
  showAvatar(null);
  say('Your avatar was removed.', true);
}

const guarded = (action: () => Promise<void>) => () => void action().catch(fail);

ui.auth.addEventListener('submit', (event) => {
  event.preventDefault();
  guarded(() => logIn(false))();
});
ui.register.addEventListener('click', () => {
  if (ui.auth.reportValidity()) guarded(() => logIn(true))();
});
ui.logout.addEventListener('click', logOut);
ui.remove.addEventListener('click', guarded(removeAvatar));
ui.file.addEventListener('change', guarded(() => pick(ui.file.files?.[0])));
ui.upload.addEventListener('click', guarded(upload));
ui.cancel.addEventListener('click', closeEditor);
ui.dropzone.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.dropzone.classList.add('over');
});
ui.dropzone.addEventListener('dragleave', () => ui.dropzone.classList.remove('over'));
ui.dropzone.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.dropzone.classList.remove('over');
  guarded(() => pick(event.dataTransfer?.files[0]))();
});

if (api.token) guarded(showProfile)();
else logOut();
