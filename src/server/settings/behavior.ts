import type { Store, StoredObject, WatchEvent } from '../../store/types.js';
import type { FollowerListener } from '../store-follower.js';
import { StoreError } from '../../store/types.js';
import type { SettingsReader, TypeBehavior } from '../api/context.js';
import { ApiError } from '../http/errors.js';
import { caChecksum } from '../tls.js';
import { SETTINGS } from './definitions.js';

/** Settings are read on every request (server-url for links); cached, and kept current by the store follower. */
export class Settings implements SettingsReader, FollowerListener {
  // Each entry keeps the revision it was read at, so a slow read never overwrites a newer event.
  private readonly cache = new Map<string, { value: string; revision: bigint }>();

  constructor(private readonly store: Store) {}

  private remember(obj: StoredObject): void {
    const revision = BigInt(obj.metadata.resourceVersion);
    const known = this.cache.get(obj.id);
    if (!known || known.revision < revision) this.cache.set(obj.id, { value: String(obj.spec.value ?? ''), revision });
  }

  onEvent(event: WatchEvent): void {
    if (event.object.type !== 'setting') return;
    if (event.type === 'DELETED') this.cache.delete(event.object.id);
    else this.remember(event.object);
  }

  onReset(): void {
    this.cache.clear();
  }

  async get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached.value;
    const def = SETTINGS[name];
    try {
      const obj = await this.store.get('setting', name);
      this.remember(obj);
      return String(obj.spec.value ?? def?.default ?? '');
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NotFound') return def?.default ?? '';
      throw err;
    }
  }

  async getInt(name: string): Promise<number> {
    return Number(await this.get(name));
  }

  /** Writes a value the server owns (cacerts, server-version, first-login); creates the setting if missing. */
  async setInternal(name: string, value: string): Promise<void> {
    for (;;) {
      try {
        const obj = await this.store.get('setting', name);
        if (obj.spec.value === value) return;
        await this.store.update({ ...obj, spec: { ...obj.spec, value } });
        return;
      } catch (err) {
        if (err instanceof StoreError && err.code === 'NotFound') {
          try {
            await this.store.create({ type: 'setting', id: name, metadata: { name }, spec: { value } });
            return;
          } catch (e) {
            if (!(e instanceof StoreError && e.code === 'AlreadyExists')) throw e;
          }
        } else if (!(err instanceof StoreError && err.code === 'Conflict')) throw err;
      }
    }
  }

  /** Creates every built-in setting that is missing, so each has a stored object to update. */
  async seed(): Promise<void> {
    await Promise.all(
      Object.keys(SETTINGS).map(async (name) => {
        try {
          await this.store.create({
            type: 'setting',
            id: name,
            metadata: { name },
            spec: { value: SETTINGS[name]!.default },
          });
        } catch (err) {
          if (!(err instanceof StoreError && err.code === 'AlreadyExists')) throw err;
        }
      }),
    );
  }
}

function renderSetting(obj: StoredObject): Record<string, unknown> {
  const def = SETTINGS[obj.id];
  const value = String(obj.spec.value ?? '');
  return {
    name: obj.id,
    value,
    default: def?.default ?? '',
    customized: def ? value !== def.default : true,
    source: 'db',
    ...(obj.id === 'cacerts' ? { checksum: caChecksum(value) } : {}),
  };
}

export const settingBehavior: TypeBehavior = {
  renderExtra: (obj) => renderSetting(obj),
  async prepareUpdate(existing, fields) {
    const def = SETTINGS[existing.id];
    if (def?.readOnly)
      throw new ApiError(
        'NotUpdatable',
        `setting ${existing.id} is managed by the server and cannot be changed`,
        'value',
      );
    const value = fields.value === undefined ? existing.spec.value : fields.value;
    if (typeof value !== 'string') throw new ApiError('MissingRequired', 'value is required', 'value');
    const problem = def?.validate?.(value);
    if (problem) throw new ApiError('InvalidFormat', `setting ${existing.id} ${problem}`, 'value');
    return { ...existing.spec, value };
  },
};

export function isPublicSetting(name: string): boolean {
  return SETTINGS[name]?.public === true;
}
