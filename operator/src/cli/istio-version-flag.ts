/**
 * A command's repeated `--istio-version` through the version table (one function for lint,
 * validate, migrate and adopt): end-of-life minors named explicitly warn on stderr, an unknown
 * one is returned as the text of the command's usage error (exit 2). A selected minor whose
 * validator data is absent throws {@link ValidatorDataMissingError} (main prints it, exit 2).
 */
import { selectIstioVersions, UnknownIstioVersionError } from '../versions/select.js';
import type { Io } from './io.js';
import { requireValidatorData } from '../util/validator-data.js';

export function istioVersionFlag(command: string | undefined, given: readonly string[] | undefined, io: Io): { versions: string[] } | { error: string } {
  try {
    const { versions, warnings } = selectIstioVersions(given);
    for (const w of warnings) io.stderr(`meshwarden${command ? ` ${command}` : ''}: warning: ${w}\n`);
    requireValidatorData(versions);
    return { versions };
  } catch (e) {
    if (e instanceof UnknownIstioVersionError) return { error: e.message };
    throw e;
  }
}
