package staffauth_test

import (
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffauth"
)

// A staff function behind the StaffJwt authorizer: the claim names come
// from STAFF_ROLE_CLAIM and STAFF_QUEUE_CLAIM, handlers read the identity
// and ask MayAct before acting on a ticket.
func ExampleClaims_Gateway() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /staff/tickets/{ref}/acknowledge", func(w http.ResponseWriter, r *http.Request) {
		s, _ := identity.From(r.Context())
		queue, level := "customer-service", 0 // from the ticket
		if !staffauth.MayAct(s, queue, level) {
			staffauth.Refuse(w, r, staffauth.ErrOtherQueue)
			return
		}
		// … act as s.Actor()
	})
	claims := staffauth.Claims{Role: "cognito:groups", Queue: "custom:queues"}
	lambda.Start(httpadapter.NewV2(claims.Gateway(mux)).ProxyWithContext)
}
