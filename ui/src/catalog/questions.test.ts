import { describe, expect, test } from 'vitest';
import {
  answersToSend,
  conditionHolds,
  defaultAnswers,
  missingAnswers,
  visibleQuestions,
  type Question,
} from './questions';

const QS: Question[] = [
  { variable: 'replicaCount', type: 'int', default: '1', required: true },
  {
    variable: 'service.enabled',
    type: 'boolean',
    default: 'false',
    show_subquestion_if: true,
    subquestions: [{ variable: 'service.port', type: 'int', default: '80', required: true }],
  },
  { variable: 'image.tag', type: 'string', show_if: 'service.enabled=true&&replicaCount=2' },
];

describe('questions', () => {
  test('defaults, show_if, subquestions and required', () => {
    const a = defaultAnswers(QS);
    expect(a).toEqual({ replicaCount: '1', 'service.enabled': 'false', 'service.port': '80' });
    expect(visibleQuestions(QS, a).map((q) => q.variable)).toEqual(['replicaCount', 'service.enabled']);
    const on = { ...a, 'service.enabled': 'true', replicaCount: '2' };
    expect(visibleQuestions(QS, on).map((q) => q.variable)).toEqual([
      'replicaCount',
      'service.enabled',
      'service.port',
      'image.tag',
    ]);
    expect(missingAnswers(QS, { ...on, 'service.port': '' })).toEqual({ 'service.port': 'service.port is required' });
    expect(missingAnswers(QS, { ...a, 'service.port': '' })).toEqual({});
    expect(answersToSend(QS, a)).toEqual({ replicaCount: '1', 'service.enabled': 'false' });
    expect(conditionHolds('x=1||y=2', { y: '2' })).toBe(true);
    expect(conditionHolds('flag', { flag: 'true' })).toBe(true);
  });
});
