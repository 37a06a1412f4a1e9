import { ProvisionError } from './errors.js';
import { ROTATABLE_SERVICES, rotateCertificates } from './pki.js';
import type { Session } from './session.js';
import { reconcile, type UpResult } from './up.js';

export { ROTATABLE_SERVICES };

/**
 * `corral cert rotate`: new certificates for the named services (all when none), or a new CA and
 * every certificate with it; then the same reconcile as `up`, which restarts exactly the
 * components whose certificates changed.
 */
export async function certRotate(session: Session, opts: { services: string[]; rotateCa: boolean }): Promise<UpResult> {
  const state = session.current;
  if (!state) throw new ProvisionError(`${session.paths.state} not found: run \`corral up\` first`);
  for (const s of opts.services)
    if (!(ROTATABLE_SERVICES as readonly string[]).includes(s))
      throw new ProvisionError(`unknown service "${s}": use one of ${ROTATABLE_SERVICES.join(', ')}`);
  session.progress.step(
    opts.rotateCa
      ? 'rotating the CA and every certificate'
      : `rotating certificates of ${opts.services.length ? opts.services.join(', ') : 'every service'}`,
  );
  const pki = await rotateCertificates(session.config, state.certificatesBundle, {
    services: opts.services.length ? opts.services : undefined,
    rotateCa: opts.rotateCa,
  });
  return reconcile(session, { pki, parallelEtcd: opts.rotateCa });
}
