using Akka.Configuration;
using Dpr.Actors.Serialization;

namespace Dpr.Actors.Tests;

public static class ActorTestConfig
{
    /// <summary>The persistence TestKit's journal (for injected failures), dpr's serializer, and a time factor for 2-core machines.</summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.test.timefactor = 4
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test.class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
        akka.persistence.journal.test.plugin-dispatcher = "akka.actor.default-dispatcher"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.persistence.snapshot-store.test.class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
        akka.persistence.snapshot-store.test.plugin-dispatcher = "akka.actor.default-dispatcher"
        """).WithFallback(ConfigurationFactory.ParseString(DprSerializer.Hocon));
}
