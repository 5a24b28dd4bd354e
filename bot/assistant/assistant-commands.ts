import { foldVietnamese } from '../../workflows/text/fold-vietnamese.js';
import { findCaseCode } from '../conversation/commands.js';

export type AssistantCommand =
  | { type: 'my_cases' }
  | { type: 'lookup'; code?: string }
  | { type: 'unit_reports' }
  | { type: 'report_status'; regimeCode: string; period?: string }
  | { type: 'submit_report'; regimeCode: string; period?: string }
  | { type: 'help' };

/**
 * Officials type on phones, with or without accents ("việc của tôi", "viec cua toi", "Việc Của Tôi!"), and tap
 * the buttons of the help message; all of them fold to the same words here. Anything unknown is a request
 * for the list of commands.
 */
export function matchAssistantCommand(text: string): AssistantCommand {
  const folded = foldVietnamese(text).replace(/[.!?]+$/, '').trim();
  if (['viec cua toi', 'viec toi', 'viec', '#viec-cua-toi'].includes(folded)) return { type: 'my_cases' };
  if (folded.startsWith('tra cuu') || folded.startsWith('#tra-cuu') || folded.startsWith('tracuu')) {
    return { type: 'lookup', code: findCaseCode(text) };
  }
  const report = /^(bao cao|#bao-cao|da nop|#da-nop)(?:\s+(\S+))?(?:\s+(.+))?$/.exec(folded);
  if (report) {
    const submit = report[1] === 'da nop' || report[1] === '#da-nop';
    const regimeCode = report[2];
    if (!regimeCode) return submit ? { type: 'help' } : { type: 'unit_reports' };
    const period = report[3]?.trim() || undefined;
    return submit ? { type: 'submit_report', regimeCode, period } : { type: 'report_status', regimeCode, period };
  }
  return { type: 'help' };
}
