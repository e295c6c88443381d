package agentui

import (
	"context"
	"net/http"
	"strconv"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// Dispatch is the administration of deliveries and queues (dispatch.Admin).
type Dispatch interface {
	Deliveries(ctx context.Context, actor auth.Actor, f dispatch.DeliveryFilter) ([]dispatch.Delivery, error)
	Retry(ctx context.Context, actor auth.Actor, id string) (dispatch.Delivery, error)
	Stats(ctx context.Context) ([]dispatch.QueueStats, int, error)
}

// deliveryViewers may list deliveries; departments see their own.
var deliveryViewers = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor, auth.RoleDepartment}

// listDeliveries answers GET /deliveries?state=&department=&ticket=&limit=.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "state", "department", "ticket", "limit")
	if err != nil {
		return err
	}
	f := dispatch.DeliveryFilter{State: q.Get("state"), Department: q.Get("department")}
	if v := q.Get("ticket"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return errs.E(errs.Invalid, "ticket must be a ticket ID")
		}
		f.TicketID = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errs.E(errs.Invalid, "limit must be a positive number")
		}
		f.Limit = n
	}
	ds, err := s.dispat.Deliveries(r.Context(), a, f)
	if err != nil {
		return err
	}
	loc := s.tickets.Location()
	for i := range ds {
		ds[i].CreatedAt, ds[i].UpdatedAt = ds[i].CreatedAt.In(loc), ds[i].UpdatedAt.In(loc)
		if at := ds[i].DeliveredAt; at != nil {
			local := at.In(loc)
			ds[i].DeliveredAt = &local
		}
	}
	if ds == nil {
		ds = []dispatch.Delivery{}
	}
	httpx.WriteJSON(w, http.StatusOK, page[dispatch.Delivery]{Items: ds})
	return nil
}

// retryDelivery answers POST /deliveries/{id}/retry.
func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	d, err := s.dispat.Retry(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, d)
	return nil
}

// queueStats answers GET /admin/queues.
func (s *Server) queueStats(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	qs, backlog, err := s.dispat.Stats(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"queues": qs, "outbox_backlog": backlog})
	return nil
}
