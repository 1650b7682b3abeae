using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Api;

/// <summary><c>Authorization: Bearer KEY</c> → the caller's <see cref="Tenant"/>, or a 401.</summary>
public static class TenantAuth
{
    private const string Item = "dpr.tenant";

    /// <summary>Authenticates every request of a route group.</summary>
    public static RouteGroupBuilder RequireTenant(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var header = http.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
            {
                throw new ApiProblem(StatusCodes.Status401Unauthorized, "authorization", "send an API key as 'Authorization: Bearer KEY' (dpr tenants add NAME makes one)");
            }
            var tenant = http.RequestServices.GetRequiredService<TenantStore>().Authenticate(header[7..].Trim())
                ?? throw new ApiProblem(StatusCodes.Status401Unauthorized, "authorization", "unknown API key");
            http.Items[Item] = tenant;
            return await next(context);
        });
        return group;
    }

    /// <summary>Only admin keys may call the endpoint (403 otherwise).</summary>
    public static RouteHandlerBuilder RequireAdmin(this RouteHandlerBuilder endpoint) =>
        endpoint.WithMetadata(AdminOnly.Instance).AddEndpointFilter(async (context, next) =>
        {
            var tenant = Caller(context.HttpContext);
            return !tenant.Admin
                ? throw new ApiProblem(StatusCodes.Status403Forbidden, "authorization", $"tenant '{tenant.Name}' is not an admin; this needs an admin key")
                : await next(context);
        });

    public static Tenant Caller(HttpContext context) =>
        context.Items[Item] as Tenant ?? throw new InvalidOperationException("the route group does not authenticate");

    /// <summary>The metadata of an endpoint that <see cref="RequireAdmin"/> guards (the API document lists its 403).</summary>
    public sealed class AdminOnly
    {
        public static AdminOnly Instance { get; } = new();
    }
}
