using System.Text.Json;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Dpr.Actors.Serialization;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dpr.Actors.Journal;

/// <summary>
/// Where every event and snapshot goes: Akka.Persistence.Sql (linq2db) over SQLite by default or
/// PostgreSQL, configured by HOCON (journal <c>SqlWriteJournal</c>, snapshots <c>SqlSnapshotStore</c>;
/// SQLite tables created on first use, PostgreSQL ones beforehand by <see cref="JournalSchema"/>).
/// SQLite takes one writer at a time and runs in WAL mode, so readers never block the journal and a
/// killed process leaves a consistent file.
/// <para>
/// Region managers write to their own journal (<see cref="RegionsJournal"/>; with SQLite its own
/// file, <c>dpr.regions.db</c>) whose commits do not wait for fsync (<c>synchronous=NORMAL</c>): a
/// killed process loses nothing, and a power loss, which could lose the last commits, also clears
/// the programmable logic, so every partition is reloaded and checked after it anyway. Everything
/// else — job acceptances first of all — stays on the default journal with a full fsync per commit.
/// Their snapshots (<see cref="RegionsSnapshots"/>) do not wait for fsync either: the journal holds every
/// event, so a snapshot lost to a power cut only means a longer replay; the older snapshots are deleted by a
/// later commit to the same file, lost with it; and events are deleted only up to a snapshot older than the
/// swap history (docs/actors.md). The job intake deletes its events as soon as a snapshot is stored, so its
/// snapshots keep the sync.
/// </para>
/// </summary>
public sealed record JournalSettings(JournalProvider Provider, string ConnectionString)
{
    public static JournalSettings Sqlite(string path) =>
        new(JournalProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString());

    public static JournalSettings PostgreSql(string connectionString) => new(JournalProvider.PostgreSql, connectionString);

    /// <summary>The linq2db provider names (<c>LinqToDB.ProviderName</c>).</summary>
    private string ProviderName => Provider == JournalProvider.Sqlite ? "SQLite.MS" : "PostgreSQL.15";

    /// <summary>The journal plugin of the region managers (<c>RegionOptions.JournalPluginId</c>).</summary>
    public const string RegionsJournal = "akka.persistence.journal.regions";

    /// <summary>
    /// The snapshot store of the region managers (<c>RegionOptions.SnapshotPluginId</c>): the same table as the default
    /// store's, and with SQLite the same file, but its commits do not wait for fsync (<see cref="Setups"/>); with SQLite its
    /// saves and deletions run on a kept-open connection (<see cref="SqliteRegionsSnapshotStore"/>).
    /// </summary>
    public const string RegionsSnapshots = "akka.persistence.snapshot-store.regions";

    /// <summary>The read journal (Akka.Persistence.Query) over <see cref="RegionsJournal"/>: the swap history.</summary>
    public const string RegionsQuery = "akka.persistence.query.journal.regions";

    /// <summary>The read journal (Akka.Persistence.Query) over the default journal: the audit trail.</summary>
    public const string DefaultQuery = "akka.persistence.query.journal.sql";

    /// <summary>The journals and the snapshot store, over the plugin's own defaults.</summary>
    public Config Config
    {
        get
        {
            var defaults = SqlPersistence.DefaultConfiguration;
            // The regions journal and its read journal are second instances of the plugin: their defaults are
            // the default journal's, copied as parsed values. (Copied as rendered text they were wrong: null and
            // empty values rendered as nothing, and the next key's name was read as the value, which made the
            // read journal look for its table in a schema called "journal".)
            return ConfigurationFactory.ParseString(Hocon)
                .WithFallback(Copy(defaults, "akka.persistence.journal.sql", RegionsJournal))
                .WithFallback(Copy(defaults, "akka.persistence.query.journal.sql", RegionsQuery))
                .WithFallback(Copy(defaults, "akka.persistence.snapshot-store.sql", RegionsSnapshots))
                .WithFallback(defaults);
        }
    }

    /// <summary>
    /// The database schema every table lives in, the same for the journals, the read journal and the
    /// snapshot store: for PostgreSQL the first schema of the connection string's <c>Search Path</c>, else
    /// <c>public</c>; SQLite has none.
    /// </summary>
    public string? Schema => Provider == JournalProvider.Sqlite
        ? null
        : new NpgsqlConnectionStringBuilder(ConnectionString).SearchPath?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() is { Length: > 0 } first
            ? first.Trim('"')
            : "public";

    /// <summary>The object at <paramref name="from"/> as the object at <paramref name="to"/>, values as they were parsed.</summary>
    private static Config Copy(Config config, string from, string to)
    {
        var root = new HoconValue();
        var node = new HoconObject();
        root.NewValue(node);
        var keys = to.Split('.');
        foreach (var key in keys[..^1])
        {
            var child = new HoconObject();
            node.GetOrCreateKey(key).NewValue(child);
            node = child;
        }
        node.GetOrCreateKey(keys[^1]).NewValue(config.GetConfig(from).Root.GetObject());
        return new Config(new HoconRoot(root));
    }

    /// <summary>The regions journal's database: for SQLite its own file beside the journal (<c>dpr.regions.db</c>).</summary>
    public string RegionsConnectionString => Sibling(".regions");

    /// <summary>
    /// An actor system with these journals and dpr's serializer; <paramref name="config"/> comes first.
    /// Prepares SQLite files, or creates the PostgreSQL tables, first.
    /// </summary>
    /// <exception cref="Npgsql.NpgsqlException">PostgreSQL could not be reached or refused the tables.</exception>
    public ActorSystem CreateSystem(string name, Config? config = null)
    {
        Prepare();
        JournalSchema.EnsureCreatedAsync(this, CancellationToken.None).GetAwaiter().GetResult();
        var full = (config ?? Config.Empty).WithFallback(Config).WithFallback(ConfigurationFactory.ParseString(DprSerializer.Hocon));
        return ActorSystem.Create(name, ActorSystemSetup.Create([BootstrapSetup.Create().WithConfig(full), .. Setups()]));
    }

    /// <summary>
    /// What an actor system needs besides <see cref="Config"/>: for SQLite, the connections of the regions
    /// journal and of the region managers' snapshot store, whose commits do not wait for fsync.
    /// </summary>
    public IReadOnlyList<Setup> Setups()
    {
        if (Provider != JournalProvider.Sqlite)
        {
            return [];
        }
        var options = new MultiDataOptionsSetup();
        options.AddDataOptions(RegionsJournal, Unsynced(RegionsConnectionString));
        options.AddDataOptions(RegionsSnapshots, Unsynced(SnapshotConnectionString));
        return [options];
    }

    /// <summary>SQLite connections whose commits do not wait for fsync (WAL, <c>synchronous=NORMAL</c>): synced at checkpoints.</summary>
    private DataOptions Unsynced(string connectionString) => new DataOptions()
        .UseConnectionString(ProviderName, connectionString)
        .UseAfterConnectionOpened(SetUnsynced);

    /// <summary>Sets an open SQLite connection's commits not to wait for fsync (<c>synchronous=NORMAL</c>), as every connection to the regions files.</summary>
    internal static void SetUnsynced(System.Data.Common.DbConnection connection)
    {
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL;";
        pragma.ExecuteNonQuery();
    }

    /// <summary>
    /// Where snapshots go. For SQLite a file of their own beside the journal (<c>dpr.db</c> →
    /// <c>dpr.snapshots.db</c>): SQLite has one writer per file, and a snapshot written while the
    /// journal commits made the journal's write wait out Microsoft.Data.Sqlite's busy retry, a fixed
    /// 150 ms sleep (measured by <c>dpr bench regions</c>: p99 of a swap 154 ms with one file, 15 ms with two).
    /// </summary>
    public string SnapshotConnectionString => Sibling(".snapshots");

    /// <summary>For SQLite, a file beside the journal's (<c>dpr.db</c> → <c>dpr{suffix}.db</c>); for PostgreSQL the same database.</summary>
    private string Sibling(string suffix)
    {
        if (Provider != JournalProvider.Sqlite)
        {
            return ConnectionString;
        }
        var builder = new SqliteConnectionStringBuilder(ConnectionString);
        builder.DataSource = Path.ChangeExtension(builder.DataSource, suffix + Path.GetExtension(builder.DataSource));
        return builder.ToString();
    }

    /// <summary>
    /// The plugins' settings. With PostgreSQL every plugin names the same schema (<see cref="Schema"/>), and
    /// none creates its tables: the journals and the snapshot store share one database, and when they raced
    /// to create the same tables on an empty one PostgreSQL refused all but one (23505 on
    /// <c>pg_type_typname_nsp_index</c>). <see cref="JournalSchema"/> creates them once, beforehand.
    /// SQLite gives each plugin a file of its own, so each creates its own tables.
    /// <para>
    /// After a run of failures (a database outage) Akka's circuit breaker around each plugin fails every
    /// call at once for <c>reset-timeout</c> before it tries the database again: 30 s for the journals and
    /// 60 s for snapshots by default, so actors stayed down that long after the database was back. Here
    /// it is 2 s; the back-off supervisors already space the retries.
    /// </para>
    /// </summary>
    public string Hocon
    {
        get
        {
            var connection = JsonSerializer.Serialize(ConnectionString);
            var snapshots = JsonSerializer.Serialize(SnapshotConnectionString);
            var regions = JsonSerializer.Serialize(RegionsConnectionString);
            var sqlite = Provider == JournalProvider.Sqlite;
            var parallelism = sqlite ? 1 : 3;
            var autoInitialize = sqlite ? "true" : "false";
            var schema = Schema is { } name ? $"default.schema-name = {JsonSerializer.Serialize(name)}" : "";
            // On SQLite the regions journal inserts through a kept-open prepared statement (SqliteRegionsJournal).
            var regionsClass = sqlite ? PluginClass(typeof(SqliteRegionsJournal)) : "";
            // And their snapshots, and the deletions of the older ones, through kept-open prepared statements (SqliteRegionsSnapshotStore).
            var regionsSnapshotsClass = sqlite ? PluginClass(typeof(SqliteRegionsSnapshotStore)) : "";
            return $$"""
                akka.persistence {
                  journal {
                    plugin = "akka.persistence.journal.sql"
                    sql {
                      connection-string = {{connection}}
                      provider-name = "{{ProviderName}}"
                      auto-initialize = {{autoInitialize}}
                      {{schema}}
                      parallelism = {{parallelism}}
                      # The job intake persists up to 512 acceptances at once: let them share a round trip.
                      batch-size = 1000
                      circuit-breaker.reset-timeout = 2s
                    }
                    regions {
                      plugin-id = "{{RegionsJournal}}"
                      {{regionsClass}}
                      connection-string = {{regions}}
                      provider-name = "{{ProviderName}}"
                      auto-initialize = {{autoInitialize}}
                      {{schema}}
                      parallelism = {{parallelism}}
                      circuit-breaker.reset-timeout = 2s
                    }
                  }
                  query.journal.sql {
                    write-plugin = "akka.persistence.journal.sql"
                    connection-string = {{connection}}
                    provider-name = "{{ProviderName}}"
                    {{schema}}
                  }
                  query.journal.regions {
                    plugin-id = "{{RegionsQuery}}"
                    write-plugin = "{{RegionsJournal}}"
                    connection-string = {{regions}}
                    provider-name = "{{ProviderName}}"
                    {{schema}}
                  }
                  snapshot-store {
                    plugin = "akka.persistence.snapshot-store.sql"
                    sql {
                      connection-string = {{snapshots}}
                      provider-name = "{{ProviderName}}"
                      auto-initialize = {{autoInitialize}}
                      {{schema}}
                      circuit-breaker.reset-timeout = 2s
                    }
                    regions {
                      plugin-id = "{{RegionsSnapshots}}"
                      {{regionsSnapshotsClass}}
                      connection-string = {{snapshots}}
                      provider-name = "{{ProviderName}}"
                      auto-initialize = {{autoInitialize}}
                      {{schema}}
                      circuit-breaker.reset-timeout = 2s
                    }
                  }
                }
                """;
        }
    }

    /// <summary>The HOCON line that makes a plugin instance use <paramref name="type"/>.</summary>
    private static string PluginClass(Type type) => $"class = \"{type.FullName}, {type.Assembly.GetName().Name}\"";

    /// <summary>For SQLite: the directory exists and the database is in WAL mode before the journal opens it.</summary>
    public void Prepare()
    {
        if (Provider != JournalProvider.Sqlite)
        {
            return;
        }
        var path = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }
        foreach (var file in new[] { ConnectionString, SnapshotConnectionString, RegionsConnectionString })
        {
            using var connection = new SqliteConnection(file);
            connection.Open();
            using var command = connection.CreateCommand();
            // WAL is a property of the file; synchronous stays at its default (FULL) on the journal's own connections.
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
        }
    }
}
