package agentui

import (
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/ticketing"
)

// ticketChannel is the one mapping from routing's channels to tickets':
// a call is recorded as a phone ticket, a chat as a webchat one. An
// unknown channel maps to "" (none).
func ticketChannel(c routing.Channel) ticketing.Channel {
	switch c {
	case routing.Voice:
		return ticketing.ChannelPhone
	case routing.Chat:
		return ticketing.ChannelWebchat
	}
	return ""
}

// contactMessage is a contact as the consoles get it: routing's view and
// the channel a ticket about it is recorded under.
type contactMessage struct {
	routing.ContactView
	TicketChannel ticketing.Channel `json:"ticket_channel,omitempty"`
}

func viewContact(c routing.ContactView) contactMessage {
	return contactMessage{ContactView: c, TicketChannel: ticketChannel(c.Channel)}
}

// presenceMessage is an agent's presence with its contacts as consoles get them.
type presenceMessage struct {
	routing.AgentView
	Contacts []contactMessage `json:"contacts"`
	Offer    *presenceOffer   `json:"offer,omitempty"`
}

// presenceOffer is the offer ringing in a presence.
type presenceOffer struct {
	routing.OfferView
	Contact contactMessage `json:"contact"`
}

func viewPresence(v routing.AgentView) presenceMessage {
	m := presenceMessage{AgentView: v, Contacts: make([]contactMessage, 0, len(v.Contacts))}
	for _, c := range v.Contacts {
		m.Contacts = append(m.Contacts, viewContact(c))
	}
	if v.Offer != nil {
		m.Offer = &presenceOffer{OfferView: *v.Offer, Contact: viewContact(v.Offer.Contact)}
	}
	return m
}
