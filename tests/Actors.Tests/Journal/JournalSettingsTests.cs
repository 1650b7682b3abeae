using Akka.Persistence.Sql.Config;
using Dpr.Actors.Journal;

namespace Dpr.Actors.Tests.Journal;

/// <summary>The plugins' settings as the actor system sees them, without a database.</summary>
public sealed class JournalSettingsTests
{
    private static readonly string[] Plugins =
    [
        "akka.persistence.journal.sql",
        JournalSettings.RegionsJournal,
        JournalSettings.RegionsQuery,
        "akka.persistence.snapshot-store.sql",
        JournalSettings.RegionsSnapshots,
    ];

    [Theory]
    [InlineData("Host=db;Database=dpr;Username=dpr", "public")]
    [InlineData("Host=db;Database=dpr;Username=dpr;Search Path=dpr,public", "dpr")]
    public void With_postgresql_every_plugin_names_one_schema_and_none_creates_tables(string connection, string schema)
    {
        var config = JournalSettings.PostgreSql(connection).Config;

        foreach (var plugin in Plugins)
        {
            var settings = config.GetConfig(plugin);
            Assert.Equal("default", settings.GetString("table-mapping"));
            Assert.Equal(schema, settings.GetString("default.schema-name"));
            Assert.Equal(connection, settings.GetString("connection-string"));
        }
        Assert.False(config.GetBoolean("akka.persistence.journal.sql.auto-initialize"));
        Assert.False(config.GetBoolean($"{JournalSettings.RegionsJournal}.auto-initialize"));
        Assert.False(config.GetBoolean("akka.persistence.snapshot-store.sql.auto-initialize"));
        Assert.False(config.GetBoolean($"{JournalSettings.RegionsSnapshots}.auto-initialize"));
        // After an outage the plugins try the database again within seconds, not after Akka's 30 s (journal) and 60 s (snapshots).
        foreach (var plugin in new[] { "akka.persistence.journal.sql", JournalSettings.RegionsJournal, "akka.persistence.snapshot-store.sql", JournalSettings.RegionsSnapshots })
        {
            Assert.Equal(TimeSpan.FromSeconds(2), config.GetTimeSpan($"{plugin}.circuit-breaker.reset-timeout"));
        }
    }

    /// <summary>Job acceptances and their snapshots keep a sync per commit; the region managers' journal and snapshots do not.</summary>
    [Fact]
    public void On_sqlite_only_the_region_managers_plugins_have_connections_of_their_own()
    {
        var setup = Assert.IsType<MultiDataOptionsSetup>(Assert.Single(JournalSettings.Sqlite("dpr.db").Setups()));
        Assert.True(setup.TryGetDataOptionsFor(JournalSettings.RegionsJournal, out _));
        Assert.True(setup.TryGetDataOptionsFor(JournalSettings.RegionsSnapshots, out _));
        Assert.False(setup.TryGetDataOptionsFor("akka.persistence.journal.sql", out _));
        Assert.False(setup.TryGetDataOptionsFor("akka.persistence.snapshot-store.sql", out _));
    }

    /// <summary>The copies of the plugin's defaults keep its values as they are (null stays null, not the next key's name).</summary>
    [Fact]
    public void The_regions_journals_inherit_the_plugin_defaults_unchanged()
    {
        var config = JournalSettings.Sqlite("dpr.db").Config;

        var regions = config.GetConfig(JournalSettings.RegionsJournal);
        // Except the class: on SQLite the regions journal inserts through a kept-open statement (SqliteRegionsJournalTests).
        Assert.Equal(typeof(SqliteRegionsJournal).FullName + ", Dpr.Actors", regions.GetString("class"));
        Assert.Null(regions.GetString("default.schema-name"));
        Assert.Null(regions.GetString("serializer"));
        var query = config.GetConfig(JournalSettings.RegionsQuery);
        Assert.Equal("Akka.Persistence.Sql.Query.SqlReadJournalProvider, Akka.Persistence.Sql", query.GetString("class"));
        Assert.Equal("default", query.GetString("table-mapping"));
        Assert.Null(query.GetString("default.schema-name"));
        Assert.Equal(JournalSettings.RegionsJournal, query.GetString("write-plugin"));
        Assert.True(regions.GetBoolean("auto-initialize"));
    }
}
