import { visible } from '../text.js';

/** Signed out: the company IdP's login, or an admin key (break-glass, the demo). */
export function Login() {
  const error = new URLSearchParams(location.search).get('login_error');
  return (
    <main class="login">
      <h1>Baton console</h1>
      {error ? (
        <p role="alert" class="error">
          {visible(error)}
        </p>
      ) : null}
      <p>
        <a class="button primary" href="/console/login">
          Sign in with your company IdP
        </a>
      </p>
      <form method="post" action="/console/login/key">
        <label for="admin-key">Or an admin key (break-glass)</label>
        <input id="admin-key" name="key" type="password" autocomplete="off" required />
        <button type="submit">Sign in with the key</button>
      </form>
    </main>
  );
}
