import { useCallback, useEffect, useState } from 'react';
import { api } from './http';

/** A one-off GET (not live) with reload; a null path fetches nothing. */
export function useApi<T>(path: string | null): {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
} {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const ac = new AbortController();
    setLoading(true);
    api<T>('GET', path, undefined, { signal: ac.signal }).then(
      (d) => {
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (ac.signal.aborted) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        setLoading(false);
      },
    );
    return () => ac.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
