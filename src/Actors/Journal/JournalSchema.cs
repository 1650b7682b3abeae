using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Journal.Types;
using Akka.Persistence.Sql.Snapshot;
using Dpr.Actors.Jobs;
using LinqToDB;
using Npgsql;

namespace Dpr.Actors.Journal;

/// <summary>
/// Creates the PostgreSQL tables of the journals and the snapshot store once, before an actor system
/// uses them, with the plugin's own DDL: linq2db's <c>CREATE TABLE IF NOT EXISTS</c> from the plugin's
/// table mapping and the plugin's index footers, exactly what its <c>auto-initialize</c> runs. dpr's own
/// tables in that database (results, input blobs, finished jobs) are created with them.
/// <para>
/// <c>CREATE TABLE IF NOT EXISTS</c> does not guard against itself in PostgreSQL: two sessions that
/// create the same table at once both find it missing, and all but one fail on the catalog's unique
/// index (<c>23505 ... pg_type_typname_nsp_index</c>). That is what the journals' own auto-initialisation
/// did on an empty database. Here every creator — in this process or in another host starting against
/// the same database — first takes one PostgreSQL advisory lock, so they run one after the other and
/// the later ones find the tables there.
/// </para>
/// </summary>
public static class JournalSchema
{
    /// <summary>The advisory lock's key: a fixed number, "dprjrnl" in ASCII, which other applications are unlikely to take.</summary>
    private const long LockKey = 0x0064_7072_6A72_6E6C;

    private const string Journal = "akka.persistence.journal.sql";

    private const string Snapshots = "akka.persistence.snapshot-store.sql";

    /// <summary>For PostgreSQL, the schema and every table, created if missing; nothing for SQLite (each plugin, and each store, creates its own file's tables).</summary>
    /// <exception cref="NpgsqlException">The server could not be reached, or refused (a <see cref="PostgresException"/> with its SQLSTATE).</exception>
    public static async Task EnsureCreatedAsync(JournalSettings settings, CancellationToken cancel)
    {
        if (settings.Provider != JournalProvider.PostgreSql)
        {
            return;
        }
        // Not pooled: the lock is held by this session and released when it closes, whatever fails below.
        var lockConnection = new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Pooling = false }.ToString();
        await using var session = new NpgsqlConnection(lockConnection);
        await session.OpenAsync(cancel);
        await ExecuteAsync(session, $"SELECT pg_advisory_lock({LockKey})", cancel);
        if (settings.Schema is { } schema && schema != "public")
        {
            await ExecuteAsync(session, $"CREATE SCHEMA IF NOT EXISTS {Quote(schema)}", cancel);
        }
        var config = settings.Config;
        // The regions journal is another instance of the same plugin on the same database: its tables
        // are the same, and the second pass finds them there.
        foreach (var plugin in new[] { Journal, JournalSettings.RegionsJournal })
        {
            var journal = new JournalConfig(config.GetConfig(plugin));
            await using var connection = new AkkaPersistenceDataConnectionFactory(journal).GetConnection();
            await connection.CreateTableAsync<JournalRow>(TableOptions.CreateIfNotExists, journal.GenerateJournalFooter(), cancel);
            if (journal.PluginConfig.TagMode is not TagMode.Csv)
            {
                await connection.CreateTableAsync<JournalTagRow>(TableOptions.CreateIfNotExists, journal.GenerateTagFooter(), cancel);
            }
            if (journal.DaoConfig.SqlCommonCompatibilityMode)
            {
                await connection.CreateTableAsync<JournalMetaData>(TableOptions.CreateIfNotExists, null!, cancel);
            }
        }
        var snapshots = new SnapshotConfig(config.GetConfig(Snapshots));
        await using (var connection = new AkkaPersistenceDataConnectionFactory(snapshots).GetConnection())
        {
            await connection.CreateTableAsync<LongSnapshotRow>(TableOptions.CreateIfNotExists, snapshots.GenerateSnapshotFooter(), cancel);
        }
        await ExecuteAsync(session, PostgresResultStore.Ddl(Table(settings, "dpr_results")), cancel);
        await ExecuteAsync(session, PostgresBlobStore.Ddl(Table(settings, "dpr_blobs")), cancel);
        await ExecuteAsync(session, PostgresJobIndex.Ddl(Table(settings, "dpr_jobs")), cancel);
    }

    /// <summary>A table of dpr's in the journal's schema, quoted: <c>"public"."dpr_results"</c>.</summary>
    public static string Table(JournalSettings settings, string name)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Schema is { } schema ? $"{Quote(schema)}.{Quote(name)}" : Quote(name);
    }

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancel)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancel);
    }
}
