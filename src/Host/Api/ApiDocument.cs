using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Dpr.Host.Api;

/// <summary>
/// The OpenAPI 3.1 document of the HTTP API (<c>/openapi/v1.json</c>) and its reference page
/// (<c>/docs</c>, Scalar's page served from its package: no CDN, no font service). The endpoints declare their
/// bodies and successes; this adds what every one of them shares, so it is said once: the bearer key,
/// the RFC 7807 problems each kind of endpoint can answer (docs/api.md, "Errors"), and the operational
/// endpoints (<c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>).
/// </summary>
public static class ApiDocument
{
    private const string Bearer = "bearer";
    private const string Problem = "Problem";
    private const string ProblemJson = "application/problem+json";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer((document, _, _) =>
            {
                Describe(document);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var (path, method) = (context.Description.RelativePath ?? "", context.Description.HttpMethod ?? "");
                AddProblems(operation, path, method, context.Description.ActionDescriptor.EndpointMetadata, context.Document!);
                AddExample(operation, $"{method} {path}");
                return Task.CompletedTask;
            });
        });

    /// <summary><c>/openapi/v1.json</c> and the reference page at <c>/docs</c>.</summary>
    public static void MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", page => page
            .WithTitle("dpr API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddPreferredSecuritySchemes(Bearer)
            .DisableDefaultFonts())
            .ExcludeFromDescription();
    }

    private static void Describe(OpenApiDocument document)
    {
        document.Info = new OpenApiInfo
        {
            Title = "dpr",
            Version = "v1",
            Description = "Convolution jobs on reconfigurable modules that dpr swaps into a board's partitions. "
                + "Every /v1 call takes an API key as `Authorization: Bearer KEY` (`dpr tenants add NAME` makes one); "
                + "refusals are RFC 7807 problems naming the `field` at fault. docs/api.md has the whole reference.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key (`dpr_...`) from `dpr tenants add NAME` or `POST /v1/tenants`.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[Problem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 7807 problem details, with the field at fault and the request's correlation id (in the service log too).",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("A URI naming the kind of problem."),
                ["title"] = Text("The status in words."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["detail"] = Text("What was wrong and where, for a person."),
                ["instance"] = Text("The request's path."),
                ["field"] = Text("The field, header or part at fault, e.g. `input.shape`, `authorization`, `quota`, `journal`."),
                ["correlationId"] = Text("The request's id in the service log."),
            },
            Required = new HashSet<string> { "title", "status", "detail", "field" },
        };
        document.Paths ??= [];
        document.Paths["/healthz"] = Operational("Liveness: the process answers (200 `{\"status\":\"ok\"}`).", "application/json");
        document.Paths["/readyz"] = Operational(
            "Readiness: 200 with the board and each partition's status once the journal's database, the job intake and every region manager answer; 503 with the reason otherwise.",
            "application/json");
        document.Paths["/metrics"] = Operational("Prometheus text: swaps, jobs, queue depths, waits, journal health, process memory (docs/api.md, \"Operations\").", "text/plain");
    }

    /// <summary>The problems an operation can answer, from what kind of endpoint it is.</summary>
    private static void AddProblems(OpenApiOperation operation, string path, string method, IList<object> metadata, OpenApiDocument document)
    {
        operation.Responses ??= [];
        if (path.StartsWith("v1/", StringComparison.Ordinal))
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }];
            AddProblem(operation, document, 401, "No API key, or one that is unknown or revoked (`WWW-Authenticate: Bearer`).");
            AddProblem(operation, document, 429, "More than `Dpr:RequestsPerSecondPerTenant` requests a second with this key, or (submissions) a quota is reached; `Retry-After` says when to retry.");
            AddProblem(operation, document, 503, "The journal's database is down or did not answer in time; `Retry-After` says when to retry.");
        }
        if (metadata.OfType<IAcceptsMetadata>().Any())
        {
            AddProblem(operation, document, 400, "The body breaks a rule of the request: the problem's `field` names the property at fault.");
            AddProblem(operation, document, 413, "The body is larger than this endpoint takes (`Dpr:MaxRequestBytes` for jobs).");
            AddProblem(operation, document, 415, "The body is not `application/json`.");
        }
        if (path.Contains('{', StringComparison.Ordinal))
        {
            AddProblem(operation, document, 404, "No such job or partition (for a job: none of the caller's).");
        }
        if (metadata.OfType<TenantAuth.AdminOnly>().Any())
        {
            AddProblem(operation, document, 403, "The key is not an admin's.");
        }
        if (method == "POST" && path == "v1/jobs")
        {
            AddProblem(operation, document, 507, "The data directory's disk is nearly full (`Dpr:MinFreeDiskMegabytes`).");
        }
    }

    /// <summary>Request bodies to start from, as in docs/api.md: the README tour's job, a module to load.</summary>
    private static void AddExample(OpenApiOperation operation, string route)
    {
        var example = route switch
        {
            "POST v1/jobs" => """
                {"module":"conv3x3_8bit","input":{"shape":[1,1,4,4],"data":"AQIDBAUGBwgJCgsMDQ4PEA=="},
                 "weights":{"shape":[1,1,3,3],"data":"AQEBAQEBAQEB"},"shift":2}
                """,
            "POST v1/regions/{partition}/load" => """{"module":"conv5x5_int16"}""",
            "POST v1/tenants" => """{"name":"alice","admin":false}""",
            _ => null,
        };
        if (example is not null && operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true)
        {
            body.Example = System.Text.Json.Nodes.JsonNode.Parse(example);
        }
    }

    private static void AddProblem(OpenApiOperation operation, OpenApiDocument document, int status, string description)
    {
        operation.Responses!.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse
        {
            Description = $"{ApiProblem.TitleOf(status)}: {description}",
            Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = new OpenApiSchemaReference(Problem, document) } },
        });
    }

    private static OpenApiPathItem Operational(string description, string mediaType) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Get] = new()
            {
                Summary = description.Split(':')[0],
                Description = description,
                Tags = new HashSet<OpenApiTagReference> { new("Operations") },
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = description, Content = new Dictionary<string, OpenApiMediaType> { [mediaType] = new() } },
                },
            },
        },
    };

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
}
