package main

import (
	"context"
	"time"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

// Local defaults, as template.yaml's parameter defaults.
const (
	localRegion = "CN"
	localZone   = "Asia/Shanghai"
)

// localRules returns the shipped rules in the local business time zone.
func localRules() (*ticket.Rules, error) {
	zone, err := time.LoadLocation(localZone)
	if err != nil {
		return nil, err
	}
	return ticket.ParseRules(ticket.DefaultRules(), zone)
}

// intakeService is the intake every local channel shares, as each Lambda
// builds its own in production.
func (st *stack) intakeService() (*intake.Service, error) {
	rules, err := localRules()
	if err != nil {
		return nil, err
	}
	svc := &intake.Service{Store: st.store, Rules: rules, Region: localRegion}
	if st.directory != nil {
		svc.Directory = st.directory
	}
	return svc, nil
}

// webform serves the contact form at / and POST /contacts, the very
// handler the web-form Lambda runs behind API Gateway.
func (st *stack) webform(ctx context.Context) error {
	svc, err := st.intakeService()
	if err != nil {
		return err
	}
	h := webform.New(svc, webform.Config{
		Calendar: svc.Rules.Calendar,
		Region:   localRegion,
		PerIP:    30,
		Global:   600,
		Window:   10 * time.Minute,
		Finder:   st.store,
	})
	st.mux.Handle("/", h)
	st.urls = append([]string{"Web form             " + st.url("/")}, st.urls...)
	return nil
}
