const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The admin login form: it posts the credentials to /admin/session, which sets the session cookie. */
export function loginPage(error?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>avatar-pipeline · admin login</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: 18rem; }
  h1 { font-size: 1.2rem; margin: 0 0 1rem; }
  label { display: block; margin-bottom: .75rem; }
  input { display: block; width: 100%; box-sizing: border-box; padding: .4rem; margin-top: .2rem; }
  button { width: 100%; padding: .5rem; }
  .error { color: #b00020; }
</style>
</head>
<body>
<form method="post" action="/admin/session">
  <h1>Queue dashboard login</h1>
  ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
  <label>Username <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>
</body>
</html>
`;
}
