// Command tfexternal is a stand-in for hashicorp/terraform-provider-external v2.4.0, which the Go module proxy
// does not serve. It implements the same `external` data source (arguments program, query, working_dir; result
// and id) and the same documented protocol: the program gets the query as one JSON object on stdin and must
// print one JSON object of strings on stdout; a non-zero exit fails the read with the program's stderr.
// It exists so this project's Terraform example runs unchanged under the real terraform CLI in CI.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os/exec"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

const address = "registry.terraform.io/hashicorp/external"

type externalProvider struct{}

func (p *externalProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "external"
	resp.Version = "2.4.0"
}

func (p *externalProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {
}

func (p *externalProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *externalProvider) Resources(context.Context) []func() resource.Resource {
	return nil
}

func (p *externalProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{func() datasource.DataSource { return &externalData{} }}
}

type externalData struct{}

type externalModel struct {
	Program    types.List   `tfsdk:"program"`
	WorkingDir types.String `tfsdk:"working_dir"`
	Query      types.Map    `tfsdk:"query"`
	Result     types.Map    `tfsdk:"result"`
	ID         types.String `tfsdk:"id"`
}

func (d *externalData) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = "external"
}

func (d *externalData) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Runs a program that reads a JSON query on stdin and prints a JSON object of strings.",
		Attributes: map[string]schema.Attribute{
			"program":     schema.ListAttribute{ElementType: types.StringType, Required: true},
			"working_dir": schema.StringAttribute{Optional: true},
			"query":       schema.MapAttribute{ElementType: types.StringType, Optional: true},
			"result":      schema.MapAttribute{ElementType: types.StringType, Computed: true},
			"id":          schema.StringAttribute{Computed: true},
		},
	}
}

func (d *externalData) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model externalModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var program []string
	resp.Diagnostics.Append(model.Program.ElementsAs(ctx, &program, false)...)
	query := map[string]string{}
	if !model.Query.IsNull() {
		resp.Diagnostics.Append(model.Query.ElementsAs(ctx, &query, false)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if len(program) == 0 || program[0] == "" {
		resp.Diagnostics.AddError("External Program Missing", "The data source needs at least the program to run.")
		return
	}
	input, err := json.Marshal(query)
	if err != nil {
		resp.Diagnostics.AddError("Query Encoding Error", err.Error())
		return
	}
	cmd := exec.CommandContext(ctx, program[0], program[1:]...)
	cmd.Dir = model.WorkingDir.ValueString()
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		detail := strings.TrimSpace(stderr.String())
		if detail == "" {
			detail = err.Error()
		}
		resp.Diagnostics.AddError("External Program Execution Failed",
			fmt.Sprintf("The data source received an unexpected error while attempting to execute the program.\n\n"+
				"Program: %s\nError Message: %s\n\nState: %s", cmd.Path, detail, err))
		return
	}
	result := map[string]string{}
	if err := json.Unmarshal(output, &result); err != nil {
		resp.Diagnostics.AddError("Unexpected External Program Results",
			fmt.Sprintf("The program's output must be one JSON object of strings.\n\nProgram: %s\nResult Error: %s\n"+
				"Output: %s", cmd.Path, err, output))
		return
	}
	resultValue, diags := types.MapValueFrom(ctx, types.StringType, result)
	resp.Diagnostics.Append(diags...)
	model.Result = resultValue
	model.ID = types.StringValue("-")
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return &externalProvider{} },
		providerserver.ServeOpts{Address: address})
	if err != nil {
		log.Fatal(err)
	}
}
