import { setting } from '../../schema/types/setting.js';
import { columnsOf, objectOut, session, type Opts, type Row } from './common.js';

export async function settingsSet([name, value]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  objectOut(
    await s.conn.update<Row>(setting, String(name), { value: String(value) }),
    columnsOf(setting.columns),
    opts,
  );
}
