package telephony

import (
	"context"
	"slices"
	"time"

	"github.com/open12345/hotline/errs"
)

// batchLinger is how long the writer, woken by a step within batchLinger
// of its latest write (it is busy), waits for more before it writes:
// many calls' steps share a transaction and a round trip. Woken after a
// quiet moment, it writes at once.
const batchLinger = 5 * time.Millisecond

// callBatch is the call log's writes not yet stored, one CallWrite per
// call (its steps merged in order) and the missed-call entries in order.
type callBatch struct {
	calls     map[int64]*CallWrite
	order     []int64 // the calls, in the order they were first queued
	callbacks []Callback
	upTo      uint64 // the last step it holds
}

func newCallBatch() *callBatch { return &callBatch{calls: map[int64]*CallWrite{}} }

// add merges w, a later write of its call, and the entry cb (if any),
// which is step seq.
func (b *callBatch) add(w CallWrite, cb *Callback, seq uint64) {
	if old, ok := b.calls[w.Call.ID]; ok {
		old.Call = w.Call
		old.Events = append(old.Events, w.Events...)
	} else {
		w.Events = slices.Clone(w.Events)
		b.calls[w.Call.ID] = &w
		b.order = append(b.order, w.Call.ID)
	}
	if cb != nil {
		b.callbacks = append(b.callbacks, *cb)
	}
	b.upTo = max(b.upTo, seq)
}

// merge adds newer's writes after b's own.
func (b *callBatch) merge(newer *callBatch) {
	for _, id := range newer.order {
		b.add(*newer.calls[id], nil, newer.upTo)
	}
	b.callbacks = append(b.callbacks, newer.callbacks...)
	b.upTo = max(b.upTo, newer.upTo)
}

// only is the part of b about call id.
func (b *callBatch) only(id int64) *callBatch {
	one := newCallBatch()
	one.add(*b.calls[id], nil, b.upTo)
	for _, cb := range b.callbacks {
		if cb.CallID == id {
			one.callbacks = append(one.callbacks, cb)
		}
	}
	return one
}

func (b *callBatch) export() CallBatch {
	out := CallBatch{Calls: make([]CallWrite, len(b.order)), Callbacks: b.callbacks}
	for i, id := range b.order {
		out.Calls[i] = *b.calls[id]
	}
	return out
}

// run is the writer: it stores whatever is pending in one transaction,
// then what came meanwhile, until the log is closed and nothing is left
// or Close gives up.
func (r *CallRecorder) run() {
	defer r.gaveUpOrDone()
	delay := r.retry
	var last time.Time // the end of the latest write
	for {
		b, closing := r.take()
		if b == nil {
			if closing {
				return
			}
			select {
			case <-r.wake:
			case <-r.ctx.Done():
				return
			}
			if time.Since(last) < batchLinger { // busy: the next moment's steps join this transaction
				select {
				case <-time.After(batchLinger):
				case <-r.ctx.Done():
					return
				}
			}
			continue
		}
		left := r.write(b)
		last = time.Now()
		if left == nil {
			r.wrote(b.upTo)
			delay = r.retry
			continue
		}
		r.requeue(left)
		select {
		case <-time.After(delay):
		case <-r.ctx.Done():
			return
		}
		delay = min(2*delay, retryMax)
	}
}

// write stores b and returns what is to be tried again (nil: nothing).
// When the database refuses the batch, each call is tried alone, and a
// call it still refuses is logged and dropped.
func (r *CallRecorder) write(b *callBatch) *callBatch {
	err := r.store(b)
	if err == nil {
		return nil
	}
	if errs.Is(err, errs.Unavailable) {
		if r.ctx.Err() == nil {
			r.log.Warn("call records: database unavailable, retrying", "calls", len(b.order), "error", err)
		}
		return b
	}
	var left *callBatch
	for _, id := range b.order {
		one := b.only(id)
		switch err := r.store(one); {
		case err == nil:
		case errs.Is(err, errs.Unavailable):
			if left == nil {
				left = newCallBatch()
			}
			left.merge(one)
		default:
			r.log.Error("call records: write refused, dropped", "call", id, "error", err)
		}
	}
	return left
}

func (r *CallRecorder) store(b *callBatch) error {
	ctx, cancel := context.WithTimeout(r.ctx, logTimeout)
	defer cancel()
	return r.calls.store.WriteCalls(ctx, b.export())
}

// take takes the pending batch, nil when empty, and says whether the
// log is closing.
func (r *CallRecorder) take() (*callBatch, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending.order) == 0 {
		return nil, r.closing
	}
	b := r.pending
	r.pending = newCallBatch()
	return b, r.closing
}

// requeue puts older writes back before the pending ones.
func (r *CallRecorder) requeue(older *callBatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	older.merge(r.pending)
	r.pending = older
}

// wrote marks every step up to upTo written.
func (r *CallRecorder) wrote(upTo uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.written = max(r.written, upTo)
	close(r.progress)
	r.progress = make(chan struct{})
}

// gaveUpOrDone counts the calls left unwritten and wakes every Flush.
func (r *CallRecorder) gaveUpOrDone() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lost = len(r.pending.order)
	close(r.progress)
	r.progress = make(chan struct{})
	close(r.done)
}
