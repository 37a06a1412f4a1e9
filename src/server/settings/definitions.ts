/** Built-in settings with Rancher's names. `public` ones are readable without logging in. */
export interface SettingDefinition {
  default: string;
  /** Readable without authentication (agents, the login page). */
  public?: boolean;
  /** Set by the server itself, never by a client. */
  readOnly?: boolean;
  validate?: (value: string) => string | undefined;
}

const positiveInt = (value: string) =>
  /^\d+$/.test(value) ? undefined : 'must be a whole number of minutes (0 or more)';

export const SETTINGS: Record<string, SettingDefinition> = {
  cacerts: { default: '', public: true, readOnly: true },
  'server-url': {
    default: '',
    public: true,
    validate: (v) => {
      if (v === '') return undefined;
      try {
        const u = new URL(v);
        if (u.protocol !== 'https:') return 'must be an https:// URL';
        if (u.pathname !== '/' || u.search || u.hash) return 'must be the server root, without a path';
        return undefined;
      } catch {
        return 'must be a URL such as https://corral.example.com';
      }
    },
  },
  'server-version': { default: '', public: true, readOnly: true },
  'first-login': { default: 'true', public: true, readOnly: true },
  'ui-pl': { default: 'Corral', public: true },
  /**
   * The image the import manifest runs; empty means corral.local/agent:<server version>, which
   * `corral up` loads onto the nodes it provisions (see src/images/agent-image.ts).
   */
  'agent-image': { default: '' },
  /**
   * How often a directory user's groups are read again (Rancher's name). A user the directory no
   * longer has, or a disabled provider, loses every token within this time.
   */
  'auth-user-info-max-age-seconds': { default: '3600', validate: positiveInt },
  /** Lifetime of a login session. */
  'auth-user-session-ttl-minutes': { default: '960', validate: positiveInt },
  /** Upper bound for any token; API keys asking for more (or for 0, "no expiry") get this. Corral caps at 90 days, where Rancher defaults to none. */
  'auth-token-max-ttl-minutes': { default: '129600', validate: positiveInt },
  /** Lifetime of the token in a generated kubeconfig (Rancher's name); capped by auth-token-max-ttl-minutes. */
  'kubeconfig-default-token-ttl-minutes': { default: '43200', validate: positiveInt },
  'password-min-length': {
    default: '12',
    validate: (v) =>
      /^\d+$/.test(v) && Number(v) >= 8 && Number(v) <= 256 ? undefined : 'must be a number from 8 to 256',
  },
};
