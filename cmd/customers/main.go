// Command customers loads the customer directory (VIP flags and account
// managers) from a CSV file into the ticket table.
//
//	go run ./cmd/customers -table frontdesk-prod-tickets -region CN customers.csv
//
// The file has a header row naming the columns phone, email, vip and
// accountManager. AWS credentials, region and endpoint come from the usual
// environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB for
// DynamoDB Local).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/shared/customer"
	"github.com/frontdesk/frontdesk/shared/dynamo"
)

func main() {
	table := flag.String("table", "", "the ticket table (required)")
	region := flag.String("region", "CN", "ISO 3166 region for phone numbers without a country code")
	dry := flag.Bool("n", false, "check the file only; write nothing")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: customers -table NAME [-region CN] [-n] FILE.csv")
		flag.PrintDefaults()
	}
	flag.Parse()
	if (*table == "" && !*dry) || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), *table, *region, flag.Arg(0), *dry); err != nil {
		fmt.Fprintln(os.Stderr, "customers:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, table, region, path string, dry bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := customer.ParseCSV(f, region)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	vip := 0
	for _, r := range recs {
		if r.VIP {
			vip++
		}
	}
	if dry {
		fmt.Printf("%s: %d customers, %d VIP; nothing written (-n)\n", path, len(recs), vip)
		return nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	if err := dynamo.NewDirectory(dynamodb.NewFromConfig(cfg), table).Put(ctx, recs); err != nil {
		return err
	}
	fmt.Printf("%s: %d customers loaded into %s, %d VIP\n", path, len(recs), table, vip)
	return nil
}
