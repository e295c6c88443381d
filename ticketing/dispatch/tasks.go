package dispatch

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/ticketing"
)

// NewDeliverTask returns the task delivering a department message.
func NewDeliverTask(m OutboxMessage, maxRetry int) (*asynq.Task, error) {
	return outboxTask(TypeDeliver, m, maxRetry)
}

// NewNotifyCitizenTask returns the task sending a citizen notification.
func NewNotifyCitizenTask(m OutboxMessage, maxRetry int) (*asynq.Task, error) {
	return outboxTask(TypeNotifyCitizen, m, maxRetry)
}

// NewNotifyStaffTask returns the task publishing a notice to staff consoles.
func NewNotifyStaffTask(m OutboxMessage) (*asynq.Task, error) {
	return outboxTask(TypeNotifyStaff, m, 3)
}

// queueOf is the queue of a message: citizen SMS are low priority, urgent
// tickets' messages go ahead of the rest.
func queueOf(m OutboxMessage) string {
	switch {
	case m.Message.Topic == ticketing.TopicCitizen:
		return QueueLow
	case m.Message.Urgent:
		return QueueUrgent
	}
	return QueueDefault
}

// NewSweepTask returns the periodic supervision sweep. Unique keeps
// schedulers on several nodes from queueing it more than once per period.
func NewSweepTask(every time.Duration) *asynq.Task {
	return asynq.NewTask(TypeSweep, nil, asynq.Queue(QueueDefault), asynq.MaxRetry(0),
		asynq.Unique(max(every*9/10, time.Second)), asynq.Timeout(max(every, time.Minute)))
}

// NewOutboxTask returns the task for an outbox message by its topic.
// Errors: an unknown topic.
func NewOutboxTask(m OutboxMessage, maxRetry int) (*asynq.Task, error) {
	switch m.Message.Topic {
	case ticketing.TopicDepartment:
		return NewDeliverTask(m, maxRetry)
	case ticketing.TopicCitizen:
		return NewNotifyCitizenTask(m, maxRetry)
	case ticketing.TopicStaff:
		return NewNotifyStaffTask(m)
	}
	return nil, fmt.Errorf("outbox message %d: unknown topic %q", m.ID, m.Message.Topic)
}

// outboxTask carries m with m.ID as the task ID: while the task is in
// Redis, a second enqueue of the message is refused. Finished tasks are
// not kept: by then the handler has marked the message done, so no relay
// enqueues it again, and a handler run twice finds its work recorded.
func outboxTask(typ string, m OutboxMessage, maxRetry int) (*asynq.Task, error) {
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode outbox message %d: %w", m.ID, err)
	}
	return asynq.NewTask(typ, payload, asynq.TaskID(OutboxTaskID(m.ID)), asynq.Queue(queueOf(m)),
		asynq.MaxRetry(maxRetry), asynq.Timeout(2*time.Minute)), nil
}

// OutboxTaskID is the Asynq task ID of an outbox message.
func OutboxTaskID(id int64) string { return "outbox-" + strconv.FormatInt(id, 10) }

// outboxID parses a task ID made by OutboxTaskID.
func outboxID(taskID string) (int64, bool) {
	if len(taskID) <= len("outbox-") || taskID[:len("outbox-")] != "outbox-" {
		return 0, false
	}
	id, err := strconv.ParseInt(taskID[len("outbox-"):], 10, 64)
	return id, err == nil && id > 0
}

// decodeMessage reads a task's outbox message. A payload that cannot be
// read will never be readable: the error skips retries.
func decodeMessage(t *asynq.Task) (OutboxMessage, error) {
	var m OutboxMessage
	if err := json.Unmarshal(t.Payload(), &m); err != nil || m.ID <= 0 || m.TicketID <= 0 {
		return m, fmt.Errorf("task %s: malformed payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return m, nil
}
