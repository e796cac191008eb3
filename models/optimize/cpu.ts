import { execFileSync } from 'node:child_process';

export interface CpuInfo {
  model_name: string;
  /** INT8 dot-product instructions (AVX512-VNNI, AVX-VNNI, AMX): they decide how much INT8 gains. */
  vnni: boolean;
  /** The vector and INT8 flags among lscpu's, for the report. */
  flags: string[];
}

const RELEVANT = /^(avx2|avx512f|avx512bw|avx512_vnni|avx_vnni|amx_int8|amx_tile|avx512_bf16)$/;

/** Parses `lscpu` output. Pure. */
export function parseLscpu(text: string): CpuInfo {
  const field = (name: string) =>
    text
      .split('\n')
      .find((l) => l.startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  const flags = (field('Flags') ?? '').split(/\s+/).filter((f) => RELEVANT.test(f));
  return {
    model_name: field('Model name') ?? 'unknown',
    vnni: flags.some((f) => /vnni|amx_int8/.test(f)),
    flags,
  };
}

export function readCpuInfo(): CpuInfo {
  try {
    return parseLscpu(execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }));
  } catch (e) {
    return {
      model_name: `unknown (lscpu failed: ${(e as Error).message.split('\n')[0]})`,
      vnni: false,
      flags: [],
    };
  }
}
