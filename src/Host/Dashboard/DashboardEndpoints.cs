using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace Dpr.Host.Dashboard;

/// <summary>
/// The dashboard at <c>/</c> (docs/dashboard.md): its files are embedded in the dpr assembly at build
/// time (Dashboard/wwwroot, Microsoft.Extensions.FileProviders.Embedded), so nothing is fetched at run
/// time. They call the same API as every client, with the key the user signs in with.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Only the page's own files; no inline script or style, no other origin, no framing.</summary>
    private const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IServiceCollection AddDashboard(this IServiceCollection services) => services
        .AddSingleton<EventTickets>(_ => new EventTickets(TimeProvider.System))
        .AddSingleton<LiveEventHub>()
        .AddSingleton<EventJournal>();

    /// <summary><c>/</c> and <c>/dashboard/*</c> from the embedded files, and the event stream with its tickets.</summary>
    public static void MapDashboard(this WebApplication app, RouteGroupBuilder v1)
    {
        var files = new ManifestEmbeddedFileProvider(typeof(DashboardEndpoints).Assembly, "Dashboard/wwwroot");
        var types = new FileExtensionContentTypeProvider();
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        IResult Serve(HttpContext http, string name)
        {
            var file = files.GetFileInfo(name);
            if (!file.Exists || file.IsDirectory || !types.TryGetContentType(name, out var type))
            {
                return Results.NotFound();
            }
            string tag;
            lock (tags)
            {
                if (!tags.TryGetValue(name, out tag!))
                {
                    using var read = file.CreateReadStream();
                    tag = tags[name] = $"\"{Convert.ToHexStringLower(SHA256.HashData(read))[..16]}\"";
                }
            }
            http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers["Referrer-Policy"] = "no-referrer";
            // Revalidated on every load (a 304 when unchanged): a new dpr serves its new dashboard at once.
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Stream(file.CreateReadStream(), type + (type.StartsWith("text/", StringComparison.Ordinal) || type.EndsWith("javascript", StringComparison.Ordinal) ? "; charset=utf-8" : ""),
                entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue(tag));
        }
        app.MapGet("/", (HttpContext http) => Serve(http, "index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (HttpContext http, string file) => Serve(http, file)).ExcludeFromDescription();
        app.MapEvents(v1);
        // Open streams end as the service stops (clients resume from their last id), not at the shutdown timeout.
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<LiveEventHub>().Dispose);
    }
}
