// The report outbox on a fake clock: what the kubelet and chaos report waits while the control
// plane is away, goes out batched per statusBatchMs once a welcomed connection is there, and
// drops the oldest events first when too many pile up.

import assert from 'node:assert/strict';
import { FakeClock, type AgentMessage, type EventRecord, type PodStatusUpdate } from '@kip/shared';
import { Reports } from '@kip/agent';

function update(uid: string, phase: 'Pending' | 'Running'): PodStatusUpdate {
  return { namespace: 'default', name: `pod-${uid}`, uid, status: { phase } };
}

function event(n: number): EventRecord {
  return { involvedObject: { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u' }, reason: 'Started', message: `#${n}`, type: 'Normal' };
}

class Channel {
  isOpen = true;
  readonly sent: AgentMessage[] = [];
  send(msg: AgentMessage): void {
    this.sent.push(msg);
  }
  get types(): string[] {
    return this.sent.map((m) => m.type);
  }
}

describe('agent reports: status, events and terminations to the control plane', () => {
  it('holds reports while disconnected and sends nothing on its own', () => {
    const clock = new FakeClock();
    const reports = new Reports(clock);
    reports.status(update('a', 'Pending'));
    reports.event(event(1));
    assert.equal(clock.pendingTimers(), 0, 'no timer while no connection is there');
    const ch = new Channel();
    reports.connected(ch, 50);
    clock.advance(1000);
    assert.deepEqual(ch.sent, [], 'what waited goes out on the next flush, not by itself');
    reports.flush();
    assert.deepEqual(ch.types, ['podStatus', 'events']);
  });

  it('batches what comes in within statusBatchMs into one frame of each kind, latest status per pod', () => {
    const clock = new FakeClock();
    const reports = new Reports(clock);
    const ch = new Channel();
    reports.connected(ch, 50);
    reports.status(update('a', 'Pending'));
    clock.advance(20);
    reports.status(update('a', 'Running'));
    reports.status(update('b', 'Pending'));
    reports.event(event(1));
    reports.terminated({ namespace: 'default', name: 'pod-b', uid: 'b' });
    clock.advance(29);
    assert.deepEqual(ch.sent, []);
    clock.advance(1);
    assert.deepEqual(ch.types, ['podStatus', 'events', 'podTerminated']);
    const status = ch.sent[0] as Extract<AgentMessage, { type: 'podStatus' }>;
    assert.deepEqual(
      status.updates.map((u) => [u.uid, u.status.phase]),
      [['a', 'Running']],
      'a terminated pod has no status left to send',
    );
  });

  it('sends nothing on a closed connection, and forgets the status of a pod gone from the store', () => {
    const clock = new FakeClock();
    const reports = new Reports(clock);
    const ch = new Channel();
    reports.connected(ch, 50);
    reports.status(update('a', 'Running'));
    ch.isOpen = false;
    clock.advance(50);
    assert.deepEqual(ch.sent, []);
    reports.disconnected();
    reports.forget('a');
    const again = new Channel();
    reports.connected(again, 50);
    reports.flush();
    assert.deepEqual(again.sent, []);
  });

  it('keeps the latest 1000 events while the control plane is away', () => {
    const reports = new Reports(new FakeClock());
    for (let i = 0; i < 1200; i++) reports.event(event(i));
    const ch = new Channel();
    reports.connected(ch, 50);
    reports.flush();
    const events = (ch.sent[0] as Extract<AgentMessage, { type: 'events' }>).events;
    assert.equal(events.length, 1000);
    assert.deepEqual([events[0]!.message, events.at(-1)!.message], ['#200', '#1199']);
  });
});
