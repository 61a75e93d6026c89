/**
 * The `rules` tier (DESIGN §13): a deterministic output from the record's text alone, for when no
 * model can serve it. It reads what lab results carry in words (HL7 OBX-5 and NTE-3 values are the
 * text of an HL7 record): critical results and the words that flag a value as abnormal. It is
 * deliberately modest, and its fixed low confidence sends every such result to a reviewer under the
 * default threshold.
 */
import type { ModelOutput } from '../contract';

const CRITICAL = /\b(critical|panic|called to|phoned to|read back)\b/i;
const ABNORMAL = /\b(abnormal|elevated|decreased|high|low|positive|detected|reactive)\b/i;
const NORMAL = /\b(normal|negative|not detected|non-reactive|within (normal )?limits|unremarkable)\b/i;
const NUMERIC_RESULT = /^\s*[<>]?\d+(\.\d+)?\s*\S*\s*$/;

export function rulesOutput(text: string, confidence: number): ModelOutput {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const numeric = lines.filter((l) => NUMERIC_RESULT.test(l)).length;
  const labels = [
    ...(CRITICAL.test(text) ? ['critical'] : []),
    ...(ABNORMAL.test(text.replace(NORMAL, '')) ? ['abnormal'] : []),
    ...(NORMAL.test(text) && !ABNORMAL.test(text.replace(NORMAL, '')) ? ['normal'] : []),
    'rules',
  ];
  const flagged = labels.filter((l) => l === 'critical' || l === 'abnormal');
  const summary = `Rule-based summary, no model: ${lines.length} line(s), ${numeric} numeric result(s)${flagged.length > 0 ? `; flagged ${flagged.join(' and ')}` : ''}.`;
  return { summary, labels, confidence };
}
