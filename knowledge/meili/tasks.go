package meili

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/open12345/hotline/errs"
)

// Polling of a task: the first look is immediate, then the delay doubles
// up to maxPoll.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 500 * time.Millisecond
)

// wait waits for each task in turn, each for at most the Index's
// TaskWait, and returns the first failure.
func (ix *Index) wait(ctx context.Context, doing string, tasks ...*meilisearch.TaskInfo) error {
	for _, t := range tasks {
		if err := ix.waitTask(ctx, doing, t.TaskUID); err != nil {
			return err
		}
	}
	return nil
}

// waitTask polls task uid until it has finished. A failed or cancelled
// task is errs.Internal with Meilisearch's message; a task still pending
// after TaskWait is errs.Unavailable.
func (ix *Index) waitTask(ctx context.Context, doing string, uid int64) error {
	waitCtx, cancel := context.WithTimeout(ctx, ix.taskWait)
	defer cancel()
	delay := firstPoll
	for {
		task, err := ix.client.GetTaskWithContext(waitCtx, uid)
		if err != nil {
			if ctx.Err() == nil && waitCtx.Err() != nil {
				return ix.stillPending(doing, uid, err)
			}
			return translate(err, doing)
		}
		switch task.Status {
		case meilisearch.TaskStatusSucceeded:
			return nil
		case meilisearch.TaskStatusEnqueued, meilisearch.TaskStatusProcessing:
		default:
			f := &taskFailure{UID: uid, Type: string(task.Type), Status: string(task.Status),
				Code: task.Error.Code, Message: task.Error.Message}
			return errs.Wrap(errs.Internal, f, "%s: %s", doing, f.Error())
		}
		timer := time.NewTimer(delay)
		select {
		case <-waitCtx.Done():
			timer.Stop()
			if ctx.Err() != nil {
				return translate(ctx.Err(), doing)
			}
			return ix.stillPending(doing, uid, waitCtx.Err())
		case <-timer.C:
		}
		delay = min(2*delay, maxPoll)
	}
}

// stillPending is the error for a task not finished within TaskWait.
func (ix *Index) stillPending(doing string, uid int64, cause error) error {
	return errs.Wrap(errs.Unavailable, cause,
		"search service unavailable: %s: Meilisearch task %d not finished after %s", doing, uid, ix.taskWait)
}

// taskFailure is a Meilisearch task that finished without succeeding.
type taskFailure struct {
	UID     int64
	Type    string // documentAdditionOrUpdate, settingsUpdate …
	Status  string // failed, canceled
	Code    string // Meilisearch's error code, e.g. invalid_document_id
	Message string // Meilisearch's error message
}

// Error implements error.
func (f *taskFailure) Error() string {
	msg := f.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("Meilisearch task %d (%s) %s: %s", f.UID, f.Type, f.Status, msg)
}

// translate turns a meilisearch-go error into a coded error: Meilisearch
// unreachable, slow or answering 5xx is errs.Unavailable; any other answer
// (4xx, a body that does not parse) is errs.Internal with Meilisearch's
// message. Coded errors pass through.
func translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	var coded *errs.Error
	if errors.As(err, &coded) {
		return err
	}
	var me *meilisearch.Error
	if errors.As(err, &me) {
		switch {
		case me.ErrCode == meilisearch.MeilisearchTimeoutError:
			return errs.Wrap(errs.Unavailable, err, "search service unavailable: %s: timed out", doing)
		case me.ErrCode == meilisearch.MeilisearchCommunicationError,
			me.ErrCode == meilisearch.MeilisearchMaxRetriesExceeded:
			return errs.Wrap(errs.Unavailable, err, "search service unavailable: %s: cannot reach Meilisearch", doing)
		case me.StatusCode >= http.StatusInternalServerError:
			return errs.Wrap(errs.Unavailable, err, "search service unavailable: %s: Meilisearch answered %d", doing, me.StatusCode)
		case me.StatusCode >= http.StatusBadRequest:
			return errs.Wrap(errs.Internal, err, "%s: Meilisearch answered %d: %s (%s)",
				doing, me.StatusCode, me.MeilisearchApiError.Message, me.MeilisearchApiError.Code)
		}
		return errs.Wrap(errs.Internal, err, "%s: unexpected answer from Meilisearch", doing)
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &netErr) {
		return errs.Wrap(errs.Unavailable, err, "search service unavailable: %s: %v", doing, err)
	}
	return errs.Wrap(errs.Internal, err, "%s", doing)
}

// isNotFound reports whether err is Meilisearch answering 404.
func isNotFound(err error) bool {
	var me *meilisearch.Error
	return errors.As(err, &me) && me.StatusCode == http.StatusNotFound
}
