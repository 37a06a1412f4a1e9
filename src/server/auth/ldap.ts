import { Client, InvalidCredentialsError, NoSuchObjectError, escapeFilter, type Entry } from 'ldapts';
import { isIP } from 'node:net';
import { ApiError } from '../http/errors.js';

/** One directory's settings as the provider uses them (an openLdapConfig or activeDirectoryConfig spec). */
export interface LdapSettings {
  servers: string[];
  port: number;
  tls: boolean;
  startTLS: boolean;
  certificate: string;
  connectionTimeout: number;
  /** The service account's bind name: a DN, or for AD user@domain / DOMAIN\user. */
  bindName: string;
  bindPassword: string;
  userSearchBase: string;
  userSearchAttribute: string;
  userSearchFilter: string;
  userLoginAttribute: string;
  userObjectClass: string;
  userNameAttribute: string;
  userEnabledAttribute: string;
  userDisabledBitMask: number;
  groupSearchBase: string;
  groupSearchAttribute: string;
  groupSearchFilter: string;
  groupObjectClass: string;
  groupNameAttribute: string;
  groupMemberMappingAttribute: string;
  nestedGroupMembershipEnabled: boolean;
  /** AD: NetBIOS domain put before bare usernames when binding. */
  defaultLoginDomain?: string;
}

export interface DirectoryEntry {
  dn: string;
  /** Display name (userNameAttribute / groupNameAttribute). */
  name: string;
  /** What the person types to log in (userLoginAttribute); the group's name for groups. */
  loginName: string;
  /** A group's principal id where it is not `<provider>_group://<dn>` (GitHub's orgs and teams). */
  principalId?: string;
}

export interface DirectoryUser extends DirectoryEntry {
  groups: DirectoryEntry[];
}

/** Nested groups deeper than this are not followed (a cycle ends at once: each DN is visited once). */
const MAX_NESTING = 10;
const SEARCH_LIMIT = 100;

const first = (e: Entry, attr: string): string => {
  const v = e[attr];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? '' : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
};

/**
 * Turns what went wrong talking to a directory into an error that says what to fix, without
 * passwords (none are in these messages) and with the status a client can act on: 422 for a
 * configuration the directory refuses (wrong CA, wrong bind password), 502 when it cannot be reached.
 */
export function directoryError(err: unknown, server: string): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as NodeJS.ErrnoException & { code?: string | number };
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = e instanceof Error ? e.message : String(err);
  if (err instanceof InvalidCredentialsError)
    return new ApiError(
      'InvalidValue',
      `the directory at ${server} refused the service account's name or password; check serviceAccountDistinguishedName/serviceAccountUsername and serviceAccountPassword`,
      'serviceAccountPassword',
    );
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify|certificate/i.test(code + ' ' + msg))
    return new ApiError(
      'InvalidValue',
      `the TLS certificate of ${server} is not trusted (${code || msg}); put the CA that signed it in "certificate"`,
      'certificate',
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new ApiError('InvalidValue', `the TLS certificate of ${server} is not for that name: ${msg}`, 'servers');
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code) ||
    /timeout|timed out/i.test(msg)
  )
    return new ApiError(
      'BadGateway',
      `cannot reach the directory at ${server} (${code || msg}); check servers, port and tls`,
    );
  if (err instanceof NoSuchObjectError)
    return new ApiError(
      'InvalidValue',
      `the directory at ${server} has no such entry: ${msg}; check the search bases`,
      'userSearchBase',
    );
  return new ApiError('BadGateway', `the directory at ${server} answered with an error: ${msg}`);
}

/** Each operation opens a connection, binds and closes it: directories drop idle connections anyway. */
export class LdapDirectory {
  constructor(private readonly s: LdapSettings) {}

  private url(server: string): string {
    const host = server.includes(':') && !server.startsWith('[') ? `[${server}]` : server;
    return `${this.s.tls ? 'ldaps' : 'ldap'}://${host}:${this.s.port}`;
  }

  private tlsOptions(server: string) {
    return {
      ...(this.s.certificate.trim() ? { ca: [this.s.certificate] } : {}),
      // SNI takes host names only; an address is still checked against the certificate's IP names.
      ...(isIP(server.replace(/^\[|\]$/g, '')) ? {} : { servername: server }),
      minVersion: 'TLSv1.2' as const,
    };
  }

  /** Connects to the first server that answers and binds; the caller must unbind. */
  private async open(bindName: string, password: string): Promise<{ client: Client; server: string }> {
    if (this.s.servers.length === 0)
      throw new ApiError('MissingRequired', 'servers: give at least one directory server', 'servers');
    let last: ApiError | undefined;
    for (const server of this.s.servers) {
      const client = new Client({
        url: this.url(server),
        connectTimeout: this.s.connectionTimeout,
        timeout: this.s.connectionTimeout,
        // Only for ldaps: given for a plain connection, ldapts' StartTLS upgrade then fails.
        ...(this.s.tls ? { tlsOptions: this.tlsOptions(server) } : {}),
      });
      try {
        if (this.s.startTLS && !this.s.tls) await client.startTLS(this.tlsOptions(server));
        await client.bind(bindName, password);
        return { client, server };
      } catch (err) {
        await client.unbind().catch(() => undefined);
        last = directoryError(err, server);
        // Only an unreachable server makes trying the next one worthwhile.
        if (last.status !== 502) throw last;
      }
    }
    throw last!;
  }

  private async withService<T>(fn: (client: Client, server: string) => Promise<T>): Promise<T> {
    const { client, server } = await this.open(this.s.bindName, this.s.bindPassword);
    try {
      return await fn(client, server);
    } catch (err) {
      throw directoryError(err, server);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** Binds as the service account and reads the user search base: what testAndApply checks first. */
  async check(): Promise<void> {
    await this.withService(async (c) => {
      await c.search(this.s.userSearchBase, { scope: 'base', attributes: ['1.1'] });
    });
  }

  private userFilter(extra: string): string {
    return `(&(objectClass=${this.s.userObjectClass})${extra}${this.s.userSearchFilter})`;
  }

  private groupFilter(extra: string): string {
    return `(&(objectClass=${this.s.groupObjectClass})${extra}${this.s.groupSearchFilter})`;
  }

  private userAttributes(): string[] {
    return [this.s.userLoginAttribute, this.s.userNameAttribute, this.s.userEnabledAttribute].filter(Boolean);
  }

  private asUser(e: Entry): DirectoryEntry {
    const loginName = first(e, this.s.userLoginAttribute);
    return { dn: e.dn, name: first(e, this.s.userNameAttribute) || loginName, loginName };
  }

  private asGroup(e: Entry): DirectoryEntry {
    const name = first(e, this.s.groupNameAttribute);
    return { dn: e.dn, name, loginName: name };
  }

  private disabled(e: Entry): boolean {
    if (!this.s.userEnabledAttribute || !this.s.userDisabledBitMask) return false;
    const value = Number(first(e, this.s.userEnabledAttribute));
    return Number.isFinite(value) && (value & this.s.userDisabledBitMask) !== 0;
  }

  /** The groups `dn` belongs to (by the groups' member attribute), and theirs when nesting is on. */
  private async groupsOf(c: Client, dn: string): Promise<DirectoryEntry[]> {
    if (!this.s.groupSearchBase) return [];
    const found = new Map<string, DirectoryEntry>();
    let frontier = [dn];
    for (let depth = 0; frontier.length && depth < MAX_NESTING; depth++) {
      const attr = this.s.groupMemberMappingAttribute;
      const filter = this.groupFilter(`(|${frontier.map((d) => `(${attr}=${escapeFilter`${d}`})`).join('')})`);
      const { searchEntries } = await c.search(this.s.groupSearchBase, {
        scope: 'sub',
        filter,
        attributes: [this.s.groupNameAttribute],
      });
      frontier = [];
      for (const e of searchEntries) {
        const key = e.dn.toLowerCase();
        if (found.has(key)) continue;
        found.set(key, this.asGroup(e));
        frontier.push(e.dn);
      }
      if (!this.s.nestedGroupMembershipEnabled) break;
    }
    return [...found.values()];
  }

  /** The user whose login attribute is `username`, as the service account sees them. */
  private async findLogin(c: Client, username: string): Promise<Entry | undefined> {
    const filter = this.userFilter(`(${this.s.userLoginAttribute}=${escapeFilter`${username}`})`);
    const { searchEntries } = await c.search(this.s.userSearchBase, {
      scope: 'sub',
      filter,
      attributes: this.userAttributes(),
      sizeLimit: 2,
    });
    // Two entries with one login name: refusing is safer than picking one.
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  /**
   * Checks a person's password by binding as them, then reads their groups as the service account.
   * Undefined for a wrong name or password, or a user the directory marks disabled.
   */
  async authenticate(username: string, password: string): Promise<DirectoryUser | undefined> {
    if (!password) return undefined; // an empty password is an anonymous bind, which "succeeds"
    return this.withService(async (c) => {
      const entry = await this.findLogin(c, username);
      if (!entry || this.disabled(entry)) return undefined;
      try {
        const { client } = await this.open(entry.dn, password);
        await client.unbind().catch(() => undefined);
      } catch (err) {
        if (err instanceof ApiError && err.fieldName === 'serviceAccountPassword') return undefined;
        throw err;
      }
      return { ...this.asUser(entry), groups: await this.groupsOf(c, entry.dn) };
    });
  }

  /** The user at `dn` now, with their groups; undefined when gone or disabled. */
  async lookup(dn: string): Promise<DirectoryUser | undefined> {
    return this.withService(async (c) => {
      let entry: Entry | undefined;
      try {
        const { searchEntries } = await c.search(dn, {
          scope: 'base',
          filter: this.userFilter(''),
          attributes: this.userAttributes(),
        });
        entry = searchEntries[0];
      } catch (err) {
        if (err instanceof NoSuchObjectError) return undefined;
        throw err;
      }
      if (!entry || this.disabled(entry)) return undefined;
      return { ...this.asUser(entry), groups: await this.groupsOf(c, entry.dn) };
    });
  }

  /** Users or groups whose search attributes start with `name`. */
  async search(name: string, kind: 'user' | 'group'): Promise<DirectoryEntry[]> {
    return this.withService(async (c) => {
      const attrs = (kind === 'user' ? this.s.userSearchAttribute : this.s.groupSearchAttribute)
        .split('|')
        .filter(Boolean);
      const value = escapeFilter`${name}`;
      const any = `(|${attrs.map((a) => `(${a}=${value}*)`).join('')})`;
      const base = kind === 'user' ? this.s.userSearchBase : this.s.groupSearchBase;
      if (!base) return [];
      const { searchEntries } = await c
        .search(base, {
          scope: 'sub',
          filter: kind === 'user' ? this.userFilter(any) : this.groupFilter(any),
          attributes: kind === 'user' ? this.userAttributes() : [this.s.groupNameAttribute],
          sizeLimit: SEARCH_LIMIT,
        })
        .catch((err: unknown) => {
          // A size limit reached still returns what was found in ldapts' error; show none rather than fail.
          if ((err as { code?: number }).code === 4) return { searchEntries: [] as Entry[] };
          throw err;
        });
      return searchEntries.map((e) => (kind === 'user' ? this.asUser(e) : this.asGroup(e)));
    });
  }
}
