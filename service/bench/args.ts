/** The value after `--name` on the bench's command line, else `fallback`. */
export function arg(name: string, fallback: string): string;
export function arg(name: string, fallback?: string): string | undefined;
export function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** The number after `--name`, else `fallback`. */
export const numberArg = (name: string, fallback: number): number => Number(arg(name, String(fallback)));

/** The value after `--name`, which the bench cannot run without. */
export function requiredArg(name: string): string {
  const value = arg(name);
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}
