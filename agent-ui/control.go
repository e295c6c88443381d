package agentui

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/open12345/hotline/routing"
)

// ContactControl acts on contacts through the channel that carries them
// (a call's SIP dialog, a chat session). The channel then tells routing
// through its own API: ending a call's contact in routing alone would
// leave the call talking.
type ContactControl interface {
	// End hangs up the call or closes the chat of the contact with the
	// id; the channel ends the contact in routing. Errors: not_found,
	// unavailable.
	End(ctx context.Context, contactID string) error
	// AnsweredOnDevice says the channel's contacts are answered on the
	// agent's own device (a call, on the agent's phone), so the console
	// shows the offer but cannot accept it.
	AnsweredOnDevice() bool
}

// controlTimeout bounds how long a channel may take to act for a console.
const controlTimeout = 5 * time.Second

// contactControls choose how a contact is acted on: through its channel's
// ContactControl, or in routing when no channel carries it.
type contactControls struct {
	engine    *routing.Engine
	byChannel map[routing.Channel]ContactControl
}

func newContactControls(engine *routing.Engine, byChannel map[routing.Channel]ContactControl) contactControls {
	return contactControls{engine: engine, byChannel: maps.Clone(byChannel)}
}

// find returns the live contact with the id.
func (cc contactControls) find(id string) (routing.ContactView, bool) {
	return cc.engine.Contact(id)
}

// control returns the channel's control of the contact; false when none
// is registered for its channel, or when the contact has no channel
// reference (a test contact a supervisor injected: nothing carries it).
func (cc contactControls) control(c routing.ContactView) (ContactControl, bool) {
	ctl, ok := cc.byChannel[c.Channel]
	return ctl, ok && c.Ref != ""
}

// onDevice says whether c is answered on the agent's device rather than
// by the console.
func (cc contactControls) onDevice(c routing.ContactView) bool {
	ctl, ok := cc.control(c)
	return ok && ctl.AnsweredOnDevice()
}

// end ends the contact through its channel, or in routing when no channel
// carries it. It returns the contact as routing has it afterwards (as it
// was, when the channel has already ended it there). Errors: those of the
// channel's control, or of routing.
func (cc contactControls) end(ctx context.Context, c routing.ContactView) (routing.ContactView, error) {
	ctl, ok := cc.control(c)
	if !ok {
		return cc.engine.End(c.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	if err := ctl.End(ctx, c.ID); err != nil {
		return c, fmt.Errorf("end %s contact %s: %w", c.Channel, c.ID, err)
	}
	if now, ok := cc.find(c.ID); ok {
		return now, nil
	}
	return c, nil
}
