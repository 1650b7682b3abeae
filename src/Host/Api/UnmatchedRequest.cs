using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace Dpr.Host.Api;

/// <summary>
/// The answer to a request no endpoint took. Routing passes over an endpoint that takes JSON
/// (<c>.Accepts&lt;T&gt;("application/json")</c>) when the body is declared another type (<c>curl -d</c>
/// sends <c>application/x-www-form-urlencoded</c>), and the fallback catches it: that is a 415 naming the
/// <c>Content-Type</c>, not a 404 for an endpoint that exists. Anything else is the 404 it always was.
/// </summary>
public static class UnmatchedRequest
{
    /// <exception cref="ApiProblem">Always: 415 or 404.</exception>
    public static Task Refuse(HttpContext context, EndpointDataSource endpoints)
    {
        var request = context.Request;
        var takesJson = endpoints.Endpoints.OfType<RouteEndpoint>().Any(e =>
            e.Metadata.GetMetadata<IAcceptsMetadata>() is { ContentTypes.Count: > 0 }
            && e.Metadata.GetMetadata<IHttpMethodMetadata>() is { } methods && methods.HttpMethods.Contains(request.Method, StringComparer.OrdinalIgnoreCase)
            && e.RoutePattern.RawText is { } pattern
            && new TemplateMatcher(TemplateParser.Parse(pattern.TrimStart('/')), new RouteValueDictionary()).TryMatch(request.Path, new RouteValueDictionary()));
        if (takesJson)
        {
            RequestRules.RequireJson(request);
        }
        throw ApiProblem.NotFound("path", $"no endpoint {request.Method} {request.Path} (docs/api.md)");
    }
}
