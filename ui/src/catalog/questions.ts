/**
 * Rancher's questions.yml as a form: which questions show (`show_if`, `show_subquestion_if`), their
 * starting answers (defaults) and which required ones are missing. Pure, so it is unit-tested.
 */

export interface Question {
  variable: string;
  label?: string;
  description?: string;
  type?: string;
  default?: unknown;
  required?: boolean;
  group?: string;
  options?: unknown[];
  min?: number;
  max?: number;
  show_if?: string;
  show_subquestion_if?: unknown;
  subquestions?: Question[];
}

export type Answers = Record<string, string>;

/** `a=b&&c=d` (all) or `a=b||c=d` (any); `a` alone means "a is true". As Rancher evaluates it. */
export function conditionHolds(condition: string | undefined, answers: Answers): boolean {
  if (!condition) return true;
  const holds = (term: string) => {
    const i = term.indexOf('=');
    if (i < 0) return answers[term.trim()] === 'true';
    return (answers[term.slice(0, i).trim()] ?? '') === term.slice(i + 1).trim();
  };
  if (condition.includes('||')) return condition.split('||').some(holds);
  return condition.split('&&').every(holds);
}

/** The questions shown for these answers, subquestions after their parent when it asks for them. */
export function visibleQuestions(questions: Question[], answers: Answers): Question[] {
  const out: Question[] = [];
  for (const q of questions) {
    if (!conditionHolds(q.show_if, answers)) continue;
    out.push(q);
    if (q.subquestions && String(answers[q.variable] ?? '') === String(q.show_subquestion_if ?? 'true'))
      out.push(...visibleQuestions(q.subquestions, answers));
  }
  return out;
}

/** Every question's default, subquestions included. */
export function defaultAnswers(questions: Question[]): Answers {
  const out: Answers = {};
  const walk = (qs: Question[]) => {
    for (const q of qs) {
      if (q.default !== undefined && q.default !== null) out[q.variable] = String(q.default);
      else if (q.type === 'boolean') out[q.variable] = 'false';
      if (q.subquestions) walk(q.subquestions);
    }
  };
  walk(questions);
  return out;
}

/** Required visible questions left empty, by variable, with what to say. */
export function missingAnswers(questions: Question[], answers: Answers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const q of visibleQuestions(questions, answers)) {
    if (q.required && (answers[q.variable] ?? '').trim() === '')
      out[q.variable] = `${q.label ?? q.variable} is required`;
  }
  return out;
}

/** The answers to send: only those of visible questions (a hidden one must not change the values). */
export function answersToSend(questions: Question[], answers: Answers): Answers {
  const shown = new Set(visibleQuestions(questions, answers).map((q) => q.variable));
  return Object.fromEntries(Object.entries(answers).filter(([k, v]) => shown.has(k) && v !== ''));
}
