using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace Dpr.Host.Api;

/// <summary>
/// The answer to a request no endpoint took. The fallback takes every method, so routing's own 405 never
/// happens: a path that exists with other methods is a 405 naming them (<c>Allow</c>). Routing also passes
/// over an endpoint that takes JSON (<c>.Accepts&lt;T&gt;("application/json")</c>) when the body is declared
/// another type (<c>curl -d</c> sends <c>application/x-www-form-urlencoded</c>): that is a 415 naming the
/// <c>Content-Type</c>, not a 404 for an endpoint that exists. Anything else is a 404.
/// </summary>
public static class UnmatchedRequest
{
    /// <exception cref="ApiProblem">Always: 405, 415 or 404.</exception>
    public static Task Refuse(HttpContext context, EndpointDataSource endpoints)
    {
        var request = context.Request;
        var onPath = endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null && e.RoutePattern.RawText is { } pattern
                && new TemplateMatcher(TemplateParser.Parse(pattern.TrimStart('/')), new RouteValueDictionary()).TryMatch(request.Path, new RouteValueDictionary()))
            .ToList();
        var sameMethod = onPath.Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Contains(request.Method, StringComparer.OrdinalIgnoreCase)).ToList();
        if (sameMethod.Any(e => e.Metadata.GetMetadata<IAcceptsMetadata>() is { ContentTypes.Count: > 0 }))
        {
            RequestRules.RequireJson(request);
        }
        if (onPath.Count > 0 && sameMethod.Count == 0)
        {
            var allowed = onPath.SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
            context.Response.Headers.Allow = string.Join(", ", allowed);
            throw new ApiProblem(StatusCodes.Status405MethodNotAllowed, "method",
                $"{request.Path} takes {string.Join(", ", allowed)}, not {request.Method} (docs/api.md)");
        }
        throw ApiProblem.NotFound("path", $"no endpoint {request.Method} {request.Path} (docs/api.md)");
    }
}
