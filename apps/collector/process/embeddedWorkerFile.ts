/** Where a worker that holds the embedded database in `dataDir` says how to reach it. */
export function workerFilePath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}.worker.json`;
}

/** What the worker file records. */
export interface WorkerFile {
  pid: number;
  port: number;
}

/** Records that this process holds the embedded database and serves operators on `port`. */
export async function writeWorkerFile(
  info: WorkerFile,
  path: string,
): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(info));
}

/** Removes the worker file if it is still ours. */
export async function removeWorkerFile(
  pid: number,
  path: string,
): Promise<void> {
  const info = await readWorkerFile(path);
  if (info?.pid === pid) await Deno.remove(path).catch(() => {});
}

async function readWorkerFile(path: string): Promise<WorkerFile | null> {
  try {
    const info = JSON.parse(await Deno.readTextFile(path));
    if (Number.isInteger(info.pid) && Number.isInteger(info.port)) return info;
  } catch {
    // Missing or half-written: no live worker is recorded.
  }
  return null;
}

/** The base URL of a live worker holding the embedded database, or null when none answers. */
export async function findLiveEmbeddedWorker(
  path: string,
): Promise<string | null> {
  const info = await readWorkerFile(path);
  if (!info) return null;
  const base = `http://127.0.0.1:${info.port}/`;
  try {
    const response = await fetch(new URL("/health", base), {
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return base;
  } catch {
    return null;
  }
}
