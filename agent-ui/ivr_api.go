package agentui

import (
	"context"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
)

// IVRMenus keeps the IVR menu calls play; telephony.Menus is one.
type IVRMenus interface {
	Get(actor auth.Actor) (telephony.Menu, error)
	Save(ctx context.Context, actor auth.Actor, m telephony.Menu) (telephony.Menu, error)
}

// IVRPrompts lists the IVR's prompts and keeps operators' recordings of
// them; prompts.Library is one.
type IVRPrompts interface {
	List() []prompts.Info
	Put(name string, r io.Reader) error
	Delete(name string) error
}

func (s *Server) ivrRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/ivr/menu", s.authed(withQuery(s.getIVRMenu), staffRoles...))
	m.Handle("PUT /api/v1/ivr/menu", s.authed(s.putIVRMenu, admins...))
	m.Handle("GET /api/v1/ivr/prompts", s.authed(withQuery(s.listPrompts), overseers...))
	m.Handle("PUT /api/v1/ivr/prompts/{name}", s.authed(s.putPrompt, admins...))
	m.Handle("DELETE /api/v1/ivr/prompts/{name}", s.authed(s.deletePrompt, admins...))
}

// menuView is the IVR menu in JSON, as GET answers and PUT takes it.
type menuView struct {
	Choices  []menuChoiceView `json:"choices"`
	Fallback string           `json:"fallback"`
}

// menuChoiceView is one key; a choice without an action (as before
// actions existed) is a queue.
type menuChoiceView struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Prompt string `json:"prompt"`
	Queue  string `json:"queue"`
	Action string `json:"action"` // queue or progress
}

func viewMenu(m telephony.Menu) menuView {
	v := menuView{Choices: make([]menuChoiceView, len(m.Choices)), Fallback: m.Fallback}
	for i, c := range m.Choices {
		v.Choices[i] = menuChoiceView{Key: string(c.Key), Label: c.Label, Prompt: c.Prompt, Queue: c.Queue, Action: string(c.Action)}
	}
	return v
}

// menu returns the menu v describes. Errors: invalid (a key that is not
// one character; the service checks the rest).
func (v menuView) menu() (telephony.Menu, error) {
	m := telephony.Menu{Choices: make([]telephony.MenuChoice, len(v.Choices)), Fallback: v.Fallback}
	for i, c := range v.Choices {
		key, size := utf8.DecodeRuneInString(c.Key)
		if size == 0 || size != len(c.Key) {
			return telephony.Menu{}, errs.E(errs.Invalid, "choices[%d].key must be one of 0-8, * or #", i)
		}
		m.Choices[i] = telephony.MenuChoice{Key: key, Label: c.Label, Prompt: c.Prompt, Queue: c.Queue,
			Action: telephony.MenuAction(c.Action)}
	}
	return m, nil
}

func (s *Server) ivrMenu() (IVRMenus, error) {
	if s.ivrMenus == nil {
		return nil, errs.E(errs.Unavailable, "this server has no telephony: there is no IVR menu")
	}
	return s.ivrMenus, nil
}

func (s *Server) getIVRMenu(w http.ResponseWriter, _ *http.Request, a auth.Actor) error {
	menus, err := s.ivrMenu()
	if err != nil {
		return err
	}
	m, err := menus.Get(a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, viewMenu(m))
	return nil
}

// putIVRMenu replaces the whole menu; the next call plays it.
func (s *Server) putIVRMenu(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	menus, err := s.ivrMenu()
	if err != nil {
		return err
	}
	var v menuView
	if err := httpx.DecodeJSON(w, r, &v, false); err != nil {
		return err
	}
	m, err := v.menu()
	if err != nil {
		return err
	}
	if m, err = menus.Save(r.Context(), a, m); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, viewMenu(m))
	return nil
}

type promptView struct {
	Name     string `json:"name"`
	Recorded bool   `json:"recorded"`
	Problem  string `json:"problem,omitempty"`
}

func (s *Server) ivrPrompts() (IVRPrompts, error) {
	if s.prompts == nil {
		return nil, errs.E(errs.Unavailable, "this server has no telephony: there are no IVR prompts")
	}
	return s.prompts, nil
}

func (s *Server) listPrompts(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	lib, err := s.ivrPrompts()
	if err != nil {
		return err
	}
	infos := lib.List()
	out := make([]promptView, len(infos))
	for i, p := range infos {
		out[i] = promptView{Name: p.Name, Recorded: p.Recorded, Problem: p.Problem}
	}
	httpx.WriteJSON(w, http.StatusOK, page[promptView]{Items: out})
	return nil
}

// putPrompt stores the body, a WAV file, as the recording of a prompt;
// the prompt's next play plays it.
func (s *Server) putPrompt(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	lib, err := s.ivrPrompts()
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "audio/wav" {
		return errs.E(errs.Invalid, "Content-Type must be audio/wav")
	}
	httpx.AllowSlowTransfer(w, r, true, s.log)
	if err := lib.Put(r.PathValue("name"), r.Body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deletePrompt removes a prompt's recording: the built-in prompt plays
// again.
func (s *Server) deletePrompt(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	lib, err := s.ivrPrompts()
	if err != nil {
		return err
	}
	if err := lib.Delete(r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
