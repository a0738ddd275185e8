# Frontdesk — run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go

# Every Lambda: the folder under functions/ and its logical ID in template.yaml.
FUNCTIONS := webform:WebFormFunction sms:SmsFunction twilio:TwilioFunction notifier:NotifierFunction email:EmailFunction blastsender:BlastSenderFunction blaststaff:BlastStaffFunction

LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid='

DDB_VERSION := 2.9.30
DDB_JAR     := .cache/dynamodb/DynamoDBLocal.jar
NODE_EMU    := local/emulators/node_modules/.installed
SUDO        := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help build test bench dev lint emulators browser clean replay
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build every function for Lambda (linux/arm64) into bin/<function>/bootstrap
	@set -e; for f in $(FUNCTIONS); do dir=$${f%%:*}; \
	  echo "build $$dir"; $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o bin/$$dir/bootstrap ./functions/$$dir; done

# sam build calls build-<LogicalId> with ARTIFACTS_DIR set (BuildMethod: makefile).
define lambda_target
build-$(word 2,$(subst :, ,$(1))):
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(word 1,$(subst :, ,$(1)))
endef
$(foreach f,$(FUNCTIONS),$(eval $(call lambda_target,$(f))))

emulators: $(DDB_JAR) $(NODE_EMU) ## fetch DynamoDB Local and the Node emulators into git-ignored folders

$(DDB_JAR):
	@mkdir -p .cache/dynamodb
	cd .cache && npm pack --silent amplify-dynamodb-simulator@$(DDB_VERSION) >/dev/null
	tar -xzf .cache/amplify-dynamodb-simulator-$(DDB_VERSION).tgz -C .cache/dynamodb --strip-components=2 package/emulator
	rm -f .cache/amplify-dynamodb-simulator-$(DDB_VERSION).tgz
	@test -f $@

$(NODE_EMU): local/emulators/package.json local/emulators/package-lock.json
	cd local/emulators && npm ci --omit=dev --no-audit --no-fund --loglevel=error
	@touch $@

browser: ## install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: emulators browser ## vet, then every test against freshly started emulators
	$(GO) vet ./...
	$(GO) run ./local with -- $(GO) test -count=1 -timeout 14m ./...

bench: emulators build ## benchmarks against the emulators, and the Lambda binary sizes
	$(GO) run ./local with -- $(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./...
	@for f in $(FUNCTIONS); do dir=$${f%%:*}; \
	  stat -c %s bin/$$dir/bootstrap | awk -v f=$$dir '{printf "binary %-10s %6.2f MB (stripped, linux/arm64)\n", f, $$1/1000000}'; done

# Built, not "go run": go run reports an interrupted program as failed.
dev: emulators ## run the whole system locally (Ctrl-C stops everything)
	$(GO) build -o .cache/bin/frontdesk-local ./local
	exec .cache/bin/frontdesk-local dev

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

replay: ## replay quarantined email once its cause is fixed (same environment as the email function)
	$(GO) run ./cmd/replay -channel email

clean: ## remove build output and fetched emulators
	rm -rf bin .aws-sam .cache local/emulators/node_modules
