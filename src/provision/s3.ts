import type { S3BackupConfig } from './config/types.js';
import { ProvisionError } from './errors.js';
import { shellQuote } from './files.js';
import type { NodeIo } from './node-io.js';

/**
 * etcd snapshots in S3-compatible storage (RKE's s3backupconfig), spoken by curl on the etcd node
 * itself: the node holds the snapshot, and the storage may be reachable only from the cluster's
 * network. Credentials never reach a command line (visible in `ps` on the node): one-shot requests
 * give curl its `user = "KEY:SECRET"` config on stdin, the recurring-snapshot loop reads it from a
 * 0600 file that `corral up` writes.
 */

/** Written by `corral up` on each etcd node for the recurring-snapshot loop; removed when S3 is off. */
export const S3_DIR = '/opt/rke/s3';
export const S3_CREDENTIALS_PATH = `${S3_DIR}/credentials`;
export const S3_CA_PATH = `${S3_DIR}/custom-ca.pem`;

/** AWS's default; what MinIO and most S3-compatible servers accept when none is configured. */
const DEFAULT_REGION = 'us-east-1';
const SAFE_PATH = /^[A-Za-z0-9._\-/]*$/;

/** Refuses what the node-side scripts could not quote into a URL safely, naming the key to fix. */
export function checkS3Config(s3: S3BackupConfig): void {
  const problems: string[] = [];
  if (!SAFE_PATH.test(s3.folder))
    problems.push(`folder "${s3.folder}": use letters, digits, ".", "_", "-" and "/" only`);
  if (!/^[A-Za-z0-9.\-_]+$/.test(s3.bucket_name))
    problems.push(`bucket_name "${s3.bucket_name}": use letters, digits, ".", "_" and "-" only`);
  if (!/^[A-Za-z0-9-]*$/.test(s3.region)) problems.push(`region "${s3.region}": like us-east-1`);
  if (/[\s"'\\]/.test(stripScheme(s3.endpoint)) || !stripScheme(s3.endpoint))
    problems.push(`endpoint "${s3.endpoint}": a host[:port], optionally with http:// or https://`);
  if ([...(s3.access_key + s3.secret_key)].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    problems.push('access_key/secret_key: contain a control character (a line break?)');
  if (Boolean(s3.access_key) !== Boolean(s3.secret_key))
    problems.push('access_key and secret_key: give both, or neither for a public bucket');
  if (problems.length) throw new ProvisionError('services.etcd.backup_config.s3backupconfig is not usable', problems);
}

const stripScheme = (endpoint: string): string => endpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');

/** `https://host[:port]`: an endpoint without a scheme is https, as in RKE. */
export function endpointUrl(s3: S3BackupConfig): string {
  const scheme = /^http:\/\//.test(s3.endpoint) ? 'http' : 'https';
  return `${scheme}://${stripScheme(s3.endpoint)}`;
}

/** Path-style (`https://endpoint/bucket`): works with every S3-compatible server and any bucket name. */
export const bucketUrl = (s3: S3BackupConfig): string => `${endpointUrl(s3)}/${s3.bucket_name}`;

/** The folder without leading/trailing slashes, and the key prefix it makes ('' or 'folder/'). */
export function keyPrefix(s3: S3BackupConfig): string {
  const folder = s3.folder.replace(/^\/+|\/+$/g, '');
  return folder ? `${folder}/` : '';
}

export const objectKey = (s3: S3BackupConfig, name: string): string => `${keyPrefix(s3)}${name}`;
export const objectUrl = (s3: S3BackupConfig, key: string): string => `${bucketUrl(s3)}/${key}`;
/** How messages name an object: never with credentials. */
export const describeObject = (s3: S3BackupConfig, key: string): string =>
  `s3://${s3.bucket_name}/${key} at ${endpointUrl(s3)}`;

/**
 * ListObjectsV2 for keys starting with `prefix`. The query is already in SigV4's canonical form
 * (parameters sorted, values percent-encoded): curl before 8.x signs the query exactly as given.
 */
export function listUrl(s3: S3BackupConfig, prefix: string, continuationToken?: string): string {
  const params = [
    ...(continuationToken ? [`continuation-token=${awsEncode(continuationToken)}`] : []),
    'list-type=2',
    `prefix=${awsEncode(prefix)}`,
  ];
  return `${bucketUrl(s3)}?${params.join('&')}`;
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
export function awsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** curl's config (`-K`): the credentials, which must stay off the command line. */
export function curlConfig(s3: S3BackupConfig): string {
  if (!s3.access_key) return '';
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `user = ${quote(`${s3.access_key}:${s3.secret_key}`)}\n`;
}

/**
 * The curl words every request starts with. `config` and `ca` are shell words (a quoted path, a
 * variable, or `-` for stdin). Writes the HTTP status to stdout (-w); the body goes where `-o` says.
 */
export function curlBase(s3: S3BackupConfig, files: { config: string; ca: string | null }, maxTimeS: number): string {
  const words = ['curl', '-sS', '--connect-timeout', '10', '--max-time', String(maxTimeS)];
  if (s3.access_key) {
    words.push('--aws-sigv4', shellQuote(`aws:amz:${s3.region || DEFAULT_REGION}:s3`), '-K', files.config);
  }
  if (files.ca) words.push('--cacert', files.ca);
  words.push('-w', "'%{http_code}'");
  return words.join(' ');
}

export type S3Method = 'HEAD' | 'GET' | 'PUT' | 'DELETE';

export interface S3Request {
  method: S3Method;
  url: string;
  /** PUT: the node's file to upload. */
  uploadFrom?: string;
  /** GET: the node's file to write, only when the answer is 200 (a `.part` file until then). */
  downloadTo?: string;
  timeoutMs?: number;
}

export interface S3Response {
  /** curl's exit code: 0 when an HTTP answer came, whatever its status. */
  curlExit: number;
  /** HTTP status; 0 when none came. */
  status: number;
  body: string;
  /** curl's own message (connection, TLS). */
  curlError: string;
}

/**
 * The one-shot request as a POSIX sh script, run on the node with curl's config on stdin. The
 * custom CA (public) goes to a temporary file that is gone afterwards, so that a preflight check
 * leaves nothing behind.
 */
export function requestScript(s3: S3BackupConfig, req: S3Request): string {
  const timeoutS = Math.ceil((req.timeoutMs ?? 60_000) / 1000);
  const out = req.downloadTo ? shellQuote(`${req.downloadTo}.part`) : '"$t/body"';
  const verb =
    req.method === 'HEAD'
      ? '--head'
      : req.method === 'PUT'
        ? `-T ${shellQuote(req.uploadFrom ?? '/dev/null')}`
        : req.method === 'DELETE'
          ? '-X DELETE'
          : '';
  const curl = curlBase(s3, { config: '-', ca: s3.custom_ca ? '"$t/ca.pem"' : null }, timeoutS);
  const lines = [
    't=$(mktemp -d) || exit 1',
    'trap \'rm -rf "$t"\' EXIT',
    ...(s3.custom_ca ? [`printf '%s\\n' ${shellQuote(s3.custom_ca.trim())} >"$t/ca.pem"`] : []),
    `code=$(${curl} ${verb} -o ${out} ${shellQuote(req.url)} 2>"$t/err"); rc=$?`,
    'echo "rc=$rc code=$code"',
  ];
  if (req.downloadTo) {
    const part = shellQuote(`${req.downloadTo}.part`);
    lines.push(
      `if [ "$rc" = 0 ] && [ "$code" = 200 ]; then mv -f ${part} ${shellQuote(req.downloadTo)};`,
      `else cat ${part} >"$t/body" 2>/dev/null; rm -f ${part}; fi`,
    );
  }
  lines.push('echo ---err', 'cat "$t/err"', 'echo ---body', 'cat "$t/body" 2>/dev/null; true');
  return lines.join('\n');
}

export function parseResponse(stdout: string): S3Response {
  const head = /^rc=(\d+) code=(\d*)$/m.exec(stdout);
  const err = stdout.indexOf('\n---err\n');
  const body = stdout.indexOf('\n---body\n');
  return {
    curlExit: head ? Number(head[1]) : -1,
    status: head ? Number(head[2]) || 0 : 0,
    curlError: err >= 0 && body > err ? stdout.slice(err + 8, body).trim() : '',
    body: body >= 0 ? stdout.slice(body + 9) : '',
  };
}

export async function s3Request(io: NodeIo, s3: S3BackupConfig, req: S3Request): Promise<S3Response> {
  checkS3Config(s3);
  const res = await io.run(requestScript(s3, req), {
    input: curlConfig(s3),
    timeoutMs: (req.timeoutMs ?? 60_000) + 15_000,
  });
  const parsed = parseResponse(res.stdout);
  if (parsed.curlExit < 0) parsed.curlError = res.stderr.trim().slice(-500) || `exit code ${res.code}`;
  return parsed;
}

/** The `<Code>` and `<Message>` of an S3 error document. */
function s3ErrorOf(body: string): string {
  const code = xmlText(body, 'Code');
  const message = xmlText(body, 'Message');
  return [code, message].filter(Boolean).join(': ');
}

function xmlText(xml: string, tag: string): string {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? unescapeXml(m[1]!) : '';
}

const unescapeXml = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** What went wrong, in words naming what to fix; never the credentials. */
export function describeFailure(s3: S3BackupConfig, res: S3Response, what: string): string {
  const endpoint = endpointUrl(s3);
  // curl's first line says it; the rest is advice about its own options.
  const detail = (res.curlError.split('\n')[0] ?? '').replace(/^curl: /, '');
  switch (res.curlExit) {
    case 0:
      break;
    case 2:
    case 48:
      return `${what}: the node's curl does not support --aws-sigv4 (curl 7.75 or newer is needed): ${detail}`;
    case 6:
      return `${what}: cannot resolve the host of ${endpoint}: check endpoint`;
    case 7:
      return `${what}: cannot connect to ${endpoint} (connection refused or unreachable): check endpoint and that the node can reach it`;
    case 28:
      return `${what}: ${endpoint} did not answer in time: check endpoint and the node's network`;
    case 35:
      return `${what}: TLS handshake with ${endpoint} failed (${detail}); is it http://?`;
    case 52:
    case 56:
      return `${what}: ${endpoint} closed the connection without an answer (${detail}); is it https:// while the endpoint says http://?`;
    case 51:
    case 60:
      return `${what}: the TLS certificate of ${endpoint} is not trusted (${detail}): set custom_ca to the CA that signed it`;
    case 77:
      return `${what}: custom_ca could not be used by curl on the node (${detail})`;
    default:
      return `${what}: curl failed with exit code ${res.curlExit}: ${detail || 'no message'}`;
  }
  const s3err = s3ErrorOf(res.body);
  if (res.status === 403)
    return `${what}: access_key/secret_key refused by ${endpoint} (HTTP 403${s3err ? ` ${s3err}` : ''})`;
  if (res.status === 404 && (/NoSuchBucket/.test(s3err) || res.body === ''))
    return `${what}: HTTP 404 from ${endpoint}${s3err ? ` (${s3err})` : ''}: check bucket_name (and that it exists)`;
  if (res.status === 301 || /AuthorizationHeaderMalformed|region/i.test(s3err))
    return `${what}: ${endpoint} refused the region "${s3.region || DEFAULT_REGION}" (HTTP ${res.status}${s3err ? ` ${s3err}` : ''}): check region`;
  return `${what}: HTTP ${res.status} from ${endpoint}${s3err ? ` (${s3err})` : ''}`;
}

/** HEAD bucket: are endpoint, CA, credentials and bucket all right? null when they are. */
export async function checkBucketAccess(io: NodeIo, s3: S3BackupConfig): Promise<string | null> {
  const res = await s3Request(io, s3, { method: 'HEAD', url: `${bucketUrl(s3)}/`, timeoutMs: 20_000 });
  if (answered(res)) return null;
  return describeFailure(s3, res, `S3 bucket "${s3.bucket_name}"`);
}

export interface S3Object {
  key: string;
  bytes: number;
  lastModified: string;
}

/** The `<Contents>` of a ListObjectsV2 answer, and the token of the next page when truncated. */
export function parseListObjects(xml: string): { objects: S3Object[]; next?: string } {
  const objects = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => ({
    key: xmlText(m[1]!, 'Key'),
    bytes: Number(xmlText(m[1]!, 'Size')) || 0,
    lastModified: xmlText(m[1]!, 'LastModified'),
  }));
  const truncated = xmlText(xml, 'IsTruncated') === 'true';
  const next = xmlText(xml, 'NextContinuationToken');
  return truncated && next ? { objects, next } : { objects };
}

/** Every object under the folder (the snapshots), every page. */
export async function listObjects(io: NodeIo, s3: S3BackupConfig, prefix = keyPrefix(s3)): Promise<S3Object[]> {
  const all: S3Object[] = [];
  let token: string | undefined;
  do {
    const res = await s3Request(io, s3, { method: 'GET', url: listUrl(s3, prefix, token) });
    if (!answered(res)) throw new ProvisionError(describeFailure(s3, res, `listing s3://${s3.bucket_name}/${prefix}`));
    const page = parseListObjects(res.body);
    all.push(...page.objects);
    token = page.next;
  } while (token);
  return all;
}

/** A whole snapshot each way may be large and the link slow. */
const TRANSFER_TIMEOUT_MS = 3_600_000;

const answered = (res: S3Response, status = 200): boolean => res.curlExit === 0 && res.status === status;

async function transfer(
  io: NodeIo,
  s3: S3BackupConfig,
  name: string,
  file: Pick<S3Request, 'uploadFrom' | 'downloadTo'>,
): Promise<{ key: string; res: S3Response }> {
  const key = objectKey(s3, name);
  const method = file.uploadFrom ? 'PUT' : 'GET';
  const res = await s3Request(io, s3, { method, url: objectUrl(s3, key), ...file, timeoutMs: TRANSFER_TIMEOUT_MS });
  return { key, res };
}

/** Uploads the node's snapshot file as <folder>/<name>; resolves where it went. */
export async function uploadSnapshot(io: NodeIo, s3: S3BackupConfig, path: string, name: string): Promise<string> {
  const { key, res } = await transfer(io, s3, name, { uploadFrom: path });
  if (!answered(res))
    throw new ProvisionError(
      describeFailure(s3, res, `uploading ${path} on ${io.label} to ${describeObject(s3, key)}`),
    );
  return describeObject(s3, key);
}

/** Downloads the named snapshot to `path`; false when S3 does not have it (404). */
export async function downloadSnapshot(io: NodeIo, s3: S3BackupConfig, name: string, path: string): Promise<boolean> {
  const { key, res } = await transfer(io, s3, name, { downloadTo: path });
  if (answered(res)) return true;
  if (answered(res, 404) && /NoSuchKey/.test(res.body)) return false;
  throw new ProvisionError(describeFailure(s3, res, `downloading ${describeObject(s3, key)} to ${io.label}`));
}

/**
 * The recurring loop's S3 part, in POSIX sh: `s3put <file> <name>` uploads a snapshot, `s3prune
 * <keep>` deletes the oldest objects named <folder>/<prunePrefix>… beyond retention. Keys of the list come out of the
 * XML by splitting at "<" (no XML tool on a bare node); they sort by their timestamp.
 */
export function rollingS3Functions(s3: S3BackupConfig, prunePrefix: string): string[] {
  const curl = curlBase(s3, { config: S3_CREDENTIALS_PATH, ca: s3.custom_ca ? S3_CA_PATH : null }, 3600);
  const bucket = shellQuote(bucketUrl(s3));
  const where = shellQuote(`s3://${s3.bucket_name}/${keyPrefix(s3)}`);
  return [
    `s3put() {`,
    `  code=$(${curl} -o /dev/null -T "$1" ${bucket}/${shellQuote(keyPrefix(s3))}"$2")`,
    `  if [ "$code" = 200 ]; then echo "uploaded $2 to "${where}; else echo "upload of $2 failed (HTTP $code)" >&2; fi`,
    `}`,
    `s3prune() {`,
    `  list="$dir/.s3-list"`,
    `  code=$(${curl} -o "$list" ${shellQuote(listUrl(s3, keyPrefix(s3) + prunePrefix))})`,
    `  if [ "$code" != 200 ]; then echo "listing S3 failed (HTTP $code)" >&2; rm -f "$list"; return; fi`,
    `  tr '<' '\\n' <"$list" | sed -n 's/^Key>//p' | sort -r | tail -n +$(($1 + 1)) | while read -r key; do`,
    `    code=$(${curl} -o /dev/null -X DELETE ${bucket}/"$key")`,
    `    if [ "$code" = 204 ] || [ "$code" = 200 ]; then echo "pruned s3 $key"; else echo "pruning $key in S3 failed (HTTP $code)" >&2; fi`,
    `  done`,
    `  rm -f "$list"`,
    `}`,
  ];
}

/** The files the recurring loop reads: curl's config (0600: the secret) and the custom CA. */
export function s3NodeFiles(s3: S3BackupConfig): { path: string; content: string; mode: number }[] {
  const files = [{ path: S3_CREDENTIALS_PATH, content: curlConfig(s3), mode: 0o600 }];
  if (s3.custom_ca) files.push({ path: S3_CA_PATH, content: `${s3.custom_ca.trim()}\n`, mode: 0o644 });
  return files;
}
