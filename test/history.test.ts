import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { H_ACK, H_DATA, H_FIN, H_RST, H_SYN, H_SYNACK, historyText, noteHistory, type HistoryState } from '../src/analyze/history.js';

const fresh = (): HistoryState => ({ historySeen: 0, historyLo: 0, historyHi: 0 });

describe('Zeek history kept as numbers', () => {
  it('spells a handshake, data and a clean close in order of first appearance, repeats ignored', () => {
    const h = fresh();
    for (const i of [H_SYN, H_SYNACK + 1, H_ACK, H_DATA, H_ACK, H_DATA + 1, H_DATA, H_FIN, H_ACK + 1, H_FIN + 1]) noteHistory(h, i);
    assert.equal(historyText(h), 'ShADdFaf');
  });

  it('keeps all twelve letters, past the seventh, in the order they came', () => {
    const h = fresh();
    const order = [11, 0, 10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    for (const i of order) noteHistory(h, i);
    const letters = ['S', 's', 'H', 'h', 'A', 'a', 'D', 'd', 'F', 'f', 'R', 'r'];
    assert.equal(historyText(h), order.map((i) => letters[i]).join(''));
    assert.equal(historyText(fresh()), '');
    noteHistory(h, H_RST);
    assert.equal(historyText(h).length, 12);
  });
});
