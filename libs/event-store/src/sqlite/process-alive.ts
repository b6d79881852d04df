/**
 * Whether a process of this machine is running. Processes sharing an embedded store's file are
 * on one machine (SQLite's write-ahead log needs shared memory), so a pid recorded in the file
 * tells whether whoever holds something there is still at it.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
