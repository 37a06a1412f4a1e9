import { LoginPage } from './LoginPage';
import { ForcedPasswordChangePage } from './ChangePasswordPage';
import { navigate, Redirect, useRoute } from './router';
import { SessionProvider, useSessionState } from './session';
import { Shell } from './Shell';

export function App() {
  return (
    <SessionProvider>
      <AuthGuard />
    </SessionProvider>
  );
}

/** Nothing behind the login is rendered, or fetched, until the server says who is signed in. */
function AuthGuard() {
  const state = useSessionState();
  const route = useRoute();
  if (state.status === 'loading') {
    return (
      <div className="loading-page" role="status">
        Loading…
      </div>
    );
  }
  if (state.status === 'signedOut' || !state.session) return <LoginPage />;
  if (state.session.user.mustChangePassword) {
    return (
      <ForcedPasswordChangePage
        onDone={async () => {
          await state.refresh();
          navigate('/clusters', { replace: true });
        }}
        onLogOut={() => void state.logOut()}
      />
    );
  }
  if (route.path === '/' || route.path === '/login') return <Redirect to="/clusters" />;
  return <Shell />;
}
