using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dpr.Actors.Journal;

/// <summary>
/// Whether the journal's database can be used right now: a new connection (not a pooled one, so a changed
/// password or a dropped database shows at once) and <c>SELECT 1</c>. What fails is named in one line.
/// </summary>
public static class JournalProbe
{
    /// <param name="timeout">How long a connection may take; a login (SCRAM) on a busy server takes a while, so at least 5 s.</param>
    /// <exception cref="JournalUnavailableException">The database could not be reached, refused the login, or does not exist.</exception>
    public static async Task CheckAsync(JournalSettings settings, TimeSpan timeout, CancellationToken cancel)
    {
        var where = "";
        try
        {
            if (settings.Provider == JournalProvider.PostgreSql)
            {
                var seconds = (int)Math.Clamp(Math.Ceiling(timeout.TotalSeconds), 5, 60);
                var probe = new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Pooling = false, Timeout = seconds, CommandTimeout = seconds };
                where = $"{probe.Host}:{probe.Port}";
                await using var connection = new NpgsqlConnection(probe.ToString());
                await SelectOneAsync(connection, cancel);
            }
            else
            {
                foreach (var file in new[] { settings.ConnectionString, settings.RegionsConnectionString, settings.SnapshotConnectionString })
                {
                    await using var connection = new SqliteConnection(file);
                    await SelectOneAsync(connection, cancel);
                }
            }
        }
        catch (Exception e) when (e is DbException or TimeoutException or IOException or UnauthorizedAccessException)
        {
            // A failure on the way names where it was going, unless the message does already.
            var cause = Describe(e);
            throw new JournalUnavailableException(e is PostgresException || cause.Contains(where, StringComparison.Ordinal) ? cause : $"{where}: {cause}", e);
        }
    }

    /// <summary>
    /// A database failure in one line: PostgreSQL's SQLSTATE and message (<c>3D000 database "x" does not
    /// exist</c>), or what failed on the way there (<c>Failed to connect to 127.0.0.1:5432: Connection refused</c>).
    /// </summary>
    public static string Describe(Exception e)
    {
        if (e is PostgresException postgres)
        {
            return $"{postgres.SqlState} {postgres.MessageText}";
        }
        var innermost = e;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }
        return innermost == e || e.Message.Contains(innermost.Message, StringComparison.Ordinal)
            ? e.Message
            : $"{e.Message.TrimEnd('.')}: {innermost.Message}";
    }

    private static async Task SelectOneAsync(DbConnection connection, CancellationToken cancel)
    {
        await connection.OpenAsync(cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync(cancel);
    }
}
