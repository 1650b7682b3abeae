using Dpr.Host.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Api;

/// <summary>
/// While the journal's database is down, a route group answers 503 at once with the cause, instead of
/// each request waiting <c>Dpr:AskTimeoutSeconds</c> for an actor that cannot recover meanwhile.
/// </summary>
public static class JournalGate
{
    public static RouteGroupBuilder RequireJournal(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var services = context.HttpContext.RequestServices;
            var journal = services.GetRequiredService<JournalStatus>();
            return journal.Reason is { } reason
                ? throw ApiProblem.Unavailable($"the journal is unavailable: {reason}; nothing was changed", services.GetRequiredService<ServiceOptions>().JournalProbeInterval)
                : await next(context);
        });
        return group;
    }
}
