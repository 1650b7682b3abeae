using Akka.Configuration;
using Akka.Hosting;
using Akka.Pattern;
using Dpr.Actors.Audit;
using Dpr.Actors.Jobs;
using Dpr.Actors.Journal;
using Dpr.Actors.Serialization;
using Dpr.Host.Fleet;

namespace Dpr.Host.Service;

/// <summary>The Akka.Hosting wiring of <c>dpr serve</c>, one extension per feature.</summary>
public static class DprAkkaBuilderExtensions
{
    /// <summary>
    /// The journals (SQLite files prepared in WAL mode, or PostgreSQL, whose tables <see cref="JournalHealth"/>
    /// creates once the database answers) and dpr's serializer.
    /// </summary>
    public static AkkaConfigurationBuilder WithDprJournal(this AkkaConfigurationBuilder builder, JournalSettings journal)
    {
        journal.Prepare();
        builder.AddHocon(journal.Config.WithFallback(ConfigurationFactory.ParseString(DprSerializer.Hocon)), HoconAddMode.Prepend);
        foreach (var setup in journal.Setups())
        {
            builder.AddSetup(setup);
        }
        return builder;
    }

    /// <summary>A region manager per partition and the SEM monitor; in a fleet (<c>Dpr:Cluster</c>) the fleet's boards instead.</summary>
    public static AkkaConfigurationBuilder WithDprRegions(this AkkaConfigurationBuilder builder, DprNode node) =>
        node.Options.Cluster.Enabled ? builder.WithDprFleet(node) : builder.WithActors((system, _) => node.StartRegions(system));

    /// <summary>The job intake and the dispatcher (after the regions: the dispatcher sends to them).</summary>
    public static AkkaConfigurationBuilder WithDprJobs(this AkkaConfigurationBuilder builder, DprNode node) =>
        node.Options.Cluster.Enabled ? builder : builder.WithActors((system, registry) =>
        {
            node.StartJobs(system);
            registry.Register<JobIntakeActor>(node.Intake);
            registry.Register<JobDispatcherActor>(node.Dispatcher);
        });

    /// <summary>The audit trail's actor (back-off supervised: a failed journal write stops it, and it comes back).</summary>
    public static AkkaConfigurationBuilder WithDprAudit(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry) => registry.Register<AuditActor>(system.ActorOf(
            BackoffSupervisor.Props(Backoff.OnStop(AuditActor.Props(), "trail", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 0.2, -1)),
            AuditActor.Id)));
}
