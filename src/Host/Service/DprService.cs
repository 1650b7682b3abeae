using Akka.Actor;
using Akka.Hosting;
using Dpr.Actors.Jobs;
using Dpr.Host.Api;
using Dpr.Host.Dashboard;
using Dpr.Host.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Serilog;
using Serilog.Events;

namespace Dpr.Host.Service;

/// <summary>
/// <c>dpr serve</c> as a generic host: settings (<see cref="ServiceOptions"/>), Serilog, the actor
/// system through Akka.Hosting, and the HTTP API (docs/api.md) with health, readiness, metrics and
/// the OpenAPI document. On SIGTERM or Ctrl-C the server stops taking requests and finishes those
/// under way, the dispatcher lets running jobs finish, then the actor system's coordinated shutdown
/// stops the actors after their last journal writes.
/// </summary>
public static class DprService
{
    /// <param name="overrides">Settings from the command line (<c>Dpr:Board</c>...), over appsettings.json and the environment.</param>
    /// <param name="customize">For tests: e.g. a test server instead of Kestrel.</param>
    /// <exception cref="ServiceOptionsException">A setting cannot be used; each problem names its setting.</exception>
    public static WebApplication Build(IReadOnlyDictionary<string, string?> overrides, Action<WebApplicationBuilder>? customize = null)
    {
        // No reload-on-change: it watches the working directory, which holds ./data and its constant writes.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.AddInMemoryCollection(overrides);
        var options = ServiceOptions.From(builder.Configuration);
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ServiceOptionsException(problems);
        }

        var journal = new JournalStatus();
        // preserveStaticLogger: each host logs through its own logger, not Serilog's static one, which the
        // last host built in a process would own (several services in one test run logged to each other's sinks).
        builder.Services.AddSerilog(preserveStaticLogger: true, configureLogger: (services, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting", LogEventLevel.Information)
            .ReadFrom.Configuration(builder.Configuration)
            .Filter.ByExcluding(journal.Absorbs)
            .Enrich.FromLogContext()
            .Filter.With(new RepeatedLogFilter(TimeProvider.System))
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{Suppressed}{NewLine}{Exception}")
            .WriteToLogFile(options));
        // Under systemd (deploy/dpr.service, Type=notify): READY=1 once listening, STOPPING=1 on SIGTERM. Nothing otherwise.
        builder.Services.AddSystemd();
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var node = DprNode.Create(options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Hostile clients: bounded headers (431 past them), headers and bodies that must keep coming
            // (a slow-loris connection is closed), and the body size of Dpr:MaxRequestBytes (413).
            kestrel.Limits.MaxRequestBodySize = node.Limits.MaxRequestBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 64;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(bytesPerSecond: 4096, gracePeriod: TimeSpan.FromSeconds(10));
            kestrel.Limits.MaxConcurrentConnections = 1024;
        });
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(TenantRateLimit.Policy, http => TenantRateLimit.Partition(http, options.RequestsPerSecondPerTenant));
            limiter.OnRejected = (rejected, cancel) => TenantRateLimit.RejectAsync(rejected, options.RequestsPerSecondPerTenant);
        });
        builder.Services.ConfigureHttpJsonOptions(json => ApiJson.Configure(json.SerializerOptions));
        builder.Services.AddApiDocument();
        builder.Services.AddDashboard();

        var metrics = new DprMetrics();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new LargeBodies(node.Limits.LargeBodyBytes, node.Limits.MaxLargeBodies));
        builder.Services.AddSingleton(journal);
        builder.Services.AddSingleton(node);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton<ChaosInjector>();
        builder.Services.AddSingleton(services => new TenantStore(options.DataDirectory, services.GetRequiredService<ILoggerFactory>().CreateLogger<TenantStore>()));
        builder.Services.AddSingleton(services => new AuthFailures(metrics, services.GetRequiredService<ILogger<AuthFailures>>(), TimeProvider.System));
        builder.Services.AddSingleton<AuditLog>();
        // First: its first probe creates the tables before any journal or store is used.
        builder.Services.AddHostedService<JournalHealth>();
        builder.Services.AddSingleton(new DiskSpace(options.DataDirectory, options.MinFreeDiskMegabytes * 1024 * 1024));
        builder.Services.AddHostedService<StorageSweepService>();
        builder.Services.AddHostedService<AuditInboxService>();
        builder.Services.AddSingleton(services => new SwapHistory(services.GetRequiredService<ActorSystem>(),
            options.Cluster.Enabled ? options.Cluster.BoardIds(node.Board.Name) : [node.BoardId], node.HostedPartitions, options.Cluster.Enabled));
        builder.Services.AddAkka("dpr", akka => akka
            // The host stops the actor system after the server has finished its requests, not the CLR's exit hook before.
            .AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            })
            .WithDprJournal(options.JournalSettings)
            .WithDprRegions(node)
            .WithDprJobs(node)
            .WithDprAudit()
            .WithActors((system, _) =>
            {
                if (options.Cluster.Enabled)
                {
                    // Each board of the fleet keeps its own series (Fleet.BoardEntityActor); /metrics adds them up.
                    metrics.ObserveFleetNode(system);
                }
                else
                {
                    metrics.Observe(system, node.Intake, options.AskTimeout);
                }
                DrainOnShutdown(system, node, journal);
            }));
        customize?.Invoke(builder);

        var app = builder.Build();
        SemMetrics.Attach(metrics.Registry, node, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("dpr.sem"));
        app.UseProblemResponses();
        app.MapApiDocument();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).ExcludeFromDescription();
        app.MapGet("/readyz", ReadyAsync).ExcludeFromDescription();
        app.UseMetricsAccess(options);
        if (options.Cluster.Enabled)
        {
            app.MapFleetMetrics(MetricsAccess.Path, metrics);
        }
        else
        {
            app.MapMetrics(MetricsAccess.Path, metrics.Registry);
        }
        app.UseRateLimiter();
        var v1 = app.MapGroup("/v1").RequireTenant().RequireRateLimiting(TenantRateLimit.Policy);
        var journaled = v1.MapGroup("").RequireJournal();
        journaled.MapJobs();
        journaled.MapBoard();
        journaled.MapStaticDesign();
        journaled.MapAudit();
        journaled.MapBoards();
        // Not behind the journal: the board's health is read from the SEM controller and its monitor, not the journal.
        v1.MapBoardHealth();
        // Not behind the journal: an operator ends an injected outage or inspects faults while the journal is down.
        v1.MapChaos();
        // The dashboard at / and its event stream, GET /v1/events (docs/dashboard.md).
        app.MapDashboard(v1);
        app.MapFallback((HttpContext context, EndpointDataSource endpoints) => UnmatchedRequest.Refuse(context, endpoints));
        app.Lifetime.ApplicationStarted.Register(() => Announce(app, options, node));
        app.Lifetime.ApplicationStopped.Register(node.Dispose);
        return app;
    }

    /// <summary>Ready once the journal's database answers, and the intake (journal recovered) and every region manager answer.</summary>
    private static async Task<IResult> ReadyAsync(DprNode node, JournalStatus journal)
    {
        if (journal.Reason is { } down)
        {
            return Results.Json(new { status = "not ready", reason = $"journal: {down}" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var wait = TimeSpan.FromSeconds(2);
        if (node.Fleet is { } fleet)
        {
            return await Fleet.FleetEndpoints.ReadyAsync(fleet, wait);
        }
        try
        {
            await node.Intake.Ask<JobReplies.QueueDepths>(new JobCommands.GetQueueDepths(), wait);
            var regions = await Task.WhenAll(node.Regions.Values.Select(r => r.Ask<Actors.Regions.RegionReplies.State>(new Actors.Regions.RegionCommands.GetState(), wait)));
            var partitions = regions.ToDictionary(r => r.Partition, r => r.Status.ToString());
            // A degraded board (an uncorrectable upset in the static design) may compute wrong results: not ready until reloaded.
            var health = await BoardHealth.ReadAsync(node, wait);
            return health.Degraded
                ? Results.Json(new { status = "degraded", reason = $"board degraded: {string.Join("; ", health.DegradedReasons)}", board = node.Board.Name, partitions, degraded = true, sem = health.Sem }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Ok(new { status = "ready", board = node.Board.Name, partitions, degraded = false, sem = health.Sem });
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException)
        {
            return Results.Json(new { status = "not ready", reason = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>
    /// Before the actors stop: no new job starts, running ones finish (bounded), and the intake has
    /// stored every outcome it was told, so a restart finds them completed rather than running, and a
    /// snapshot, so a restart replays nothing. With the journal down nothing can be stored, and nothing
    /// is waited for.
    /// </summary>
    private static void DrainOnShutdown(ActorSystem system, DprNode node, JournalStatus journal) =>
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "drain-running-jobs", async () =>
        {
            // In a fleet each board drains as sharding hands it off (Fleet.BoardEntityActor).
            if (!journal.IsUp || node.Fleet is not null)
            {
                return Akka.Done.Instance;
            }
            try
            {
                await node.Dispatcher.Ask<JobDispatcherActor.Drained>(new JobDispatcherActor.Drain(), TimeSpan.FromSeconds(10));
                await node.Intake.Ask<JobIntakeActor.Synced>(new JobIntakeActor.Checkpoint(), TimeSpan.FromSeconds(5));
            }
            catch (AskTimeoutException)
            {
                // Jobs still running stay "running" on record and run again after the restart (results are written once).
            }
            return Akka.Done.Instance;
        });

    private static void Announce(WebApplication app, ServiceOptions options, DprNode node)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("dpr");
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        log.LogInformation("dpr listening on {Urls}", string.Join(", ", addresses));
        log.LogInformation("Board {Board} ({Port} port), {Modules} modules in {Partitions} partitions", node.Board.Name, options.Port, node.Catalog.Modules.Count, node.Regions.Count);
        foreach (var problem in node.Catalog.Problems)
        {
            log.LogWarning("Module not served: {Problem}", problem);
        }
        if (node.StaticDesign.Status == Fabric.Boards.StaticDesignStatus.Verified)
        {
            log.LogInformation("Static design: {StaticCheck}", node.StaticDesign.Reason);
        }
        else
        {
            log.LogWarning("Static design unverified: {StaticCheck}", node.StaticDesign.Reason);
        }
        log.LogInformation("Journal {Journal}; data in {Data}", options.JournalDescription, options.DataDirectory);
        log.LogInformation("Requests: bodies up to {MaxRequestBytes} bytes, at most {MaxLargeBodies} over {LargeBodyBytes} bytes read at once; a job's pass must fit {DmaBufferBytes} bytes of DMA buffer",
            node.Limits.MaxRequestBytes, node.Limits.MaxLargeBodies, node.Limits.LargeBodyBytes, node.DmaBufferBytes);
        if (app.Services.GetRequiredService<TenantStore>().All.Count == 0)
        {
            log.LogInformation("No tenants yet: make an admin key with `dpr tenants add NAME --admin --data {Data}`", options.DataDirectory);
        }
    }
}
