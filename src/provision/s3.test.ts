import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { S3BackupConfig } from './config/types.js';
import {
  awsEncode,
  bucketUrl,
  checkS3Config,
  curlConfig,
  describeFailure,
  endpointUrl,
  listUrl,
  objectKey,
  objectUrl,
  parseListObjects,
  parseResponse,
  requestScript,
  rollingS3Functions,
} from './s3.js';

const base: S3BackupConfig = {
  access_key: 'AKID',
  secret_key: 's3cr"et\\key',
  bucket_name: 'backups',
  region: '',
  endpoint: 's3.example.com:9000',
  custom_ca: '',
  folder: '',
};
const s3 = (over: Partial<S3BackupConfig> = {}): S3BackupConfig => ({ ...base, ...over });

describe('S3 URLs and keys', () => {
  it('defaults to https, keeps an explicit scheme, path-style bucket', () => {
    expect(endpointUrl(s3())).toBe('https://s3.example.com:9000');
    expect(endpointUrl(s3({ endpoint: 'http://minio.local/' }))).toBe('http://minio.local');
    expect(endpointUrl(s3({ endpoint: 'https://minio.local' }))).toBe('https://minio.local');
    expect(bucketUrl(s3())).toBe('https://s3.example.com:9000/backups');
  });

  it('puts the folder, without stray slashes, in front of the name', () => {
    expect(objectKey(s3(), 'snap1')).toBe('snap1');
    expect(objectKey(s3({ folder: '/etcd/prod/' }), 'snap1')).toBe('etcd/prod/snap1');
    expect(objectUrl(s3({ folder: 'etcd' }), objectKey(s3({ folder: 'etcd' }), 'snap1'))).toBe(
      'https://s3.example.com:9000/backups/etcd/snap1',
    );
  });

  it('lists with a canonical (sorted, percent-encoded) query', () => {
    expect(listUrl(s3(), 'etcd/auto_')).toBe('https://s3.example.com:9000/backups?list-type=2&prefix=etcd%2Fauto_');
    expect(listUrl(s3(), '', 'a+b/c=')).toBe(
      'https://s3.example.com:9000/backups?continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=',
    );
    expect(awsEncode("a b!*'()~")).toBe('a%20b%21%2A%27%28%29~');
  });

  it('refuses what cannot be put in a URL safely, naming the key', () => {
    expect(() => checkS3Config(s3())).not.toThrow();
    expect(() => checkS3Config(s3({ folder: 'a b' }))).toThrow(/folder "a b"/);
    expect(() => checkS3Config(s3({ endpoint: 'https://' }))).toThrow(/endpoint/);
    expect(() => checkS3Config(s3({ secret_key: '' }))).toThrow(/give both/);
  });
});

describe('credentials stay off the command line', () => {
  it('go to curl config with its quoting', () => {
    expect(curlConfig(s3())).toBe('user = "AKID:s3cr\\"et\\\\key"\n');
    expect(curlConfig(s3({ access_key: '', secret_key: '' }))).toBe('');
  });

  it('appear in no script: one-shot requests read stdin, the loop a file', () => {
    const cfg = s3({ custom_ca: '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----', folder: 'f' });
    const script = requestScript(cfg, { method: 'PUT', url: objectUrl(cfg, 'f/x'), uploadFrom: "/tmp/it's" });
    expect(script).not.toContain('s3cr');
    expect(script).toContain('-K -');
    expect(script).toContain("--aws-sigv4 'aws:amz:us-east-1:s3'");
    expect(script).toContain(`-T '/tmp/it'\\''s'`);
    const loop = rollingS3Functions(cfg, 'auto_').join('\n');
    expect(loop).not.toContain('s3cr');
    expect(loop).toContain('-K /opt/rke/s3/credentials --cacert /opt/rke/s3/custom-ca.pem');
    // Valid POSIX sh.
    execFileSync('sh', ['-n', '-c', script]);
    execFileSync('sh', ['-n', '-c', loop]);
  });

  it('without credentials, requests are anonymous (no signing)', () => {
    const script = requestScript(s3({ access_key: '', secret_key: '' }), { method: 'HEAD', url: 'https://x/b/' });
    expect(script).not.toContain('aws-sigv4');
    expect(script).not.toContain('-K');
  });
});

describe('S3 answers', () => {
  it('parses the node-side script output', () => {
    const r = parseResponse('rc=0 code=403\n---err\n\n---body\n<Error><Code>SignatureDoesNotMatch</Code></Error>');
    expect(r).toEqual({
      curlExit: 0,
      status: 403,
      curlError: '',
      body: '<Error><Code>SignatureDoesNotMatch</Code></Error>',
    });
    expect(parseResponse('rc=7 code=000\n---err\ncurl: (7) Failed to connect\n---body\n')).toMatchObject({
      curlExit: 7,
      status: 0,
      curlError: 'curl: (7) Failed to connect',
    });
  });

  it('says what to fix, never the secret', () => {
    const cfg = s3();
    const refused = describeFailure(cfg, { curlExit: 0, status: 403, body: '', curlError: '' }, 'bucket');
    expect(refused).toBe('bucket: access_key/secret_key refused by https://s3.example.com:9000 (HTTP 403)');
    expect(describeFailure(cfg, { curlExit: 7, status: 0, body: '', curlError: '' }, 'b')).toMatch(/cannot connect/);
    expect(describeFailure(cfg, { curlExit: 60, status: 0, body: '', curlError: 'x' }, 'b')).toMatch(/custom_ca/);
    expect(describeFailure(cfg, { curlExit: 0, status: 404, body: '', curlError: '' }, 'b')).toMatch(/bucket_name/);
    for (const status of [400, 403, 404, 500])
      expect(describeFailure(cfg, { curlExit: 0, status, body: '', curlError: '' }, 'b')).not.toContain('s3cr');
  });

  it('reads keys, sizes and the next page from ListObjectsV2', () => {
    const xml =
      '<?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated>' +
      '<Contents><Key>etcd/a&amp;b</Key><LastModified>2026-01-01T00:00:00Z</LastModified><Size>42</Size></Contents>' +
      '<Contents><Key>etcd/c</Key><Size>7</Size></Contents>' +
      '<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>';
    expect(parseListObjects(xml)).toEqual({
      objects: [
        { key: 'etcd/a&b', bytes: 42, lastModified: '2026-01-01T00:00:00Z' },
        { key: 'etcd/c', bytes: 7, lastModified: '' },
      ],
      next: 'tok',
    });
  });

  it('the loop extracts the keys from the XML with tr and sed, oldest pruned first', () => {
    const xml =
      '<ListBucketResult><Contents><Key>f/auto_2026-01-01</Key></Contents><Contents><Key>f/auto_2026-01-03</Key>' +
      '</Contents><Contents><Key>f/auto_2026-01-02</Key></Contents></ListBucketResult>';
    const line = rollingS3Functions(s3(), 'auto_').find((l) => l.includes("tr '<'"))!;
    const pipeline = line.slice(0, line.indexOf(' | while')).replace('<"$list"', '').trim();
    const out = execFileSync('sh', ['-c', `set -- 1; ${pipeline}`], { input: xml, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['f/auto_2026-01-02', 'f/auto_2026-01-01']);
  });
});
