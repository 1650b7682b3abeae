using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Dpr.Host.Service;

/// <summary>
/// The tenants of a data directory and their API keys, in <c>tenants.json</c>. Keys are 32 random bytes in
/// base64url prefixed <c>dpr_</c>; only their SHA-256 is stored, with a name, a creation time and the key's
/// first characters (<see cref="TenantKey"/>). A tenant may hold several keys: <see cref="Rotate"/> makes one
/// more, <see cref="Revoke"/> removes them.
/// <para>
/// <c>dpr tenants</c> writes the file while the service runs. Every <see cref="Authenticate"/> compares the
/// file's modification time and length with those it last read (one <c>stat</c>, no read) and reads it again
/// when they differ, so a key revoked by the CLI is refused from the next request on. Writers (this class in
/// the service or in the CLI) take a lock between processes (<see cref="DataFileLock"/>), read the file fresh,
/// change it and replace it whole (a rename), so neither loses the other's change and no reader sees half a file.
/// </para>
/// <para>
/// Names: <see cref="NamePattern"/>, unique without regard to case. Files written before that rule may hold
/// other names (<c>Alice</c>, <c>ci_bot</c>): those tenants keep working, only new names must follow it.
/// The file of those versions — a list of <c>{name, admin, keyHash, created}</c> — is read as tenants with one
/// key called <c>default</c> (without a prefix), and written in the current form at the next change.
/// </para>
/// </summary>
public sealed partial class TenantStore
{
    public const string FileName = "tenants.json";

    /// <summary>Tenant and key names: a lower-case letter or digit, then up to 31 of those or '-' (no '.', '/', leading '-', upper case).</summary>
    public const string NamePattern = "[a-z0-9][a-z0-9-]{0,31}";

    /// <summary>The key name of a tenant's first key, and of the one key of a file in the old format.</summary>
    public const string FirstKeyName = "default";

    private static readonly TimeSpan RacyFor = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RacyRetry = TimeSpan.FromMilliseconds(50);

    /// <summary>Characters of a key kept as its prefix: <c>dpr_</c> and 8 of the 43 random ones.</summary>
    private const int PrefixLength = 12;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly string _path;
    private readonly ILogger? _log;
    private readonly Lock _lock = new();
    // Replaced whole on reload, never changed in place: readers need no lock.
    private volatile Snapshot _snapshot = Snapshot.Empty;

    public TenantStore(string dataDirectory, ILogger? log = null)
    {
        _path = Path.Combine(dataDirectory, FileName);
        _log = log;
        lock (_lock)
        {
            _snapshot = Read(Stamp());
        }
    }

    public string FilePath => _path;

    public IReadOnlyList<Tenant> All
    {
        get
        {
            Refresh();
            return _snapshot.Tenants;
        }
    }

    /// <summary>The tenant of that name, without regard to case; null if there is none.</summary>
    public Tenant? Find(string name)
    {
        Refresh();
        return _snapshot.Tenants.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The tenant whose key this is; null for an unknown or revoked key.</summary>
    public Tenant? Authenticate(string key) => Identify(key)?.Tenant;

    /// <summary>
    /// The tenant and which of its keys this is; null for an unknown or revoked key. The keys with the same
    /// prefix (and those of old files, which have none) are compared by hash in constant time.
    /// </summary>
    public (Tenant Tenant, TenantKey Key)? Identify(string key)
    {
        Refresh();
        var snapshot = _snapshot;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        IEnumerable<(Tenant, TenantKey, byte[])> candidates = snapshot.ByPrefix.TryGetValue(PrefixOf(key), out var same) ? same.Concat(snapshot.Unprefixed) : snapshot.Unprefixed;
        (Tenant, TenantKey)? found = null;
        foreach (var (tenant, stored, storedHash) in candidates)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, storedHash))
            {
                found = (tenant, stored);
            }
        }
        return found;
    }

    /// <summary>Makes a tenant with one key (<see cref="FirstKeyName"/>) and returns the key.</summary>
    /// <exception cref="TenantChangeException">A bad name, or one taken (without regard to case).</exception>
    public string Add(string name, bool admin)
    {
        CheckName(name, "name", "tenant name");
        var (key, stored) = NewKey(FirstKeyName);
        Change(tenants =>
        {
            if (tenants.Any(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                var existing = tenants.First(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)).Name;
                throw new TenantChangeException(TenantChangeError.Exists, "name",
                    $"tenant '{existing}' exists already{(existing == name ? "" : $" (names are unique without regard to case)")}; `dpr tenants rotate {existing}` gives it another key");
            }
            tenants.Add(new Tenant(name, admin, stored.Created, [stored]));
        });
        return key;
    }

    /// <summary>
    /// Gives a tenant one more key, named <paramref name="keyName"/> (by default <c>key-N</c>); with
    /// <paramref name="replace"/> its other keys are revoked in the same change. Returns the new key and what was revoked.
    /// </summary>
    /// <exception cref="TenantChangeException">No such tenant, a bad key name or one the tenant has already.</exception>
    public (string Key, TenantKey Made, IReadOnlyList<TenantKey> Revoked) Rotate(string name, string? keyName, bool replace)
    {
        if (keyName is not null)
        {
            CheckName(keyName, "key", "key name");
        }
        string key = "";
        TenantKey made = null!;
        IReadOnlyList<TenantKey> revoked = [];
        Change(tenants =>
        {
            var index = IndexOf(tenants, name);
            var tenant = tenants[index];
            var chosen = keyName ?? NextKeyName(tenant);
            if (tenant.Keys.Any(k => k.Name == chosen))
            {
                throw new TenantChangeException(TenantChangeError.Exists, "key", $"tenant '{tenant.Name}' has a key '{chosen}' already; revoke it first or choose another name");
            }
            (key, made) = NewKey(chosen);
            revoked = replace ? tenant.Keys : [];
            tenants[index] = tenant with { Keys = [.. replace ? [] : tenant.Keys, made] };
        });
        return (key, made, revoked);
    }

    /// <summary>
    /// Revokes the tenant's key named or prefixed <paramref name="key"/>, or with null every key it has (the tenant
    /// stays, with no key, until <see cref="Rotate"/> gives it one). Returns the keys revoked.
    /// </summary>
    /// <exception cref="TenantChangeException">No such tenant or key.</exception>
    public IReadOnlyList<TenantKey> Revoke(string name, string? key)
    {
        IReadOnlyList<TenantKey> revoked = [];
        Change(tenants =>
        {
            var index = IndexOf(tenants, name);
            var tenant = tenants[index];
            revoked = key is null ? tenant.Keys : [.. tenant.Keys.Where(k => k.Name == key || (k.Prefix is not null && k.Prefix == key))];
            if (key is not null && revoked.Count == 0)
            {
                throw new TenantChangeException(TenantChangeError.NotFound, "key",
                    $"tenant '{tenant.Name}' has no key '{key}'; its keys: {(tenant.Keys.Count == 0 ? "none" : string.Join(", ", tenant.Keys.Select(k => k.Name)))}");
            }
            tenants[index] = tenant with { Keys = [.. tenant.Keys.Except(revoked)] };
        });
        return revoked;
    }

    /// <summary>Whether <paramref name="name"/> follows <see cref="NamePattern"/>.</summary>
    public static bool IsValidName(string? name) => name is not null && NameRegex().IsMatch(name);

    /// <summary>
    /// What of a key may be shown: its first 12 characters (those of <see cref="TenantKey.Prefix"/>), and of a
    /// shorter string at most a third, so a log line never holds a whole key, whatever was sent.
    /// </summary>
    public static string PrefixOf(string key) => key[..Math.Min(PrefixLength, key.Length / 3)];

    private static void CheckName(string name, string field, string what)
    {
        if (!IsValidName(name))
        {
            throw new TenantChangeException(TenantChangeError.Invalid, field, $"{what} '{name}': expected 1 to 32 lower-case letters, digits or '-', not starting with '-' ({NamePattern})");
        }
    }

    private static int IndexOf(List<Tenant> tenants, string name)
    {
        var index = tenants.FindIndex(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? index : throw new TenantChangeException(TenantChangeError.NotFound, "name", $"no tenant '{name}'");
    }

    private static string NextKeyName(Tenant tenant)
    {
        var highest = tenant.Keys.Select(k => k.Name.StartsWith("key-", StringComparison.Ordinal) && int.TryParse(k.Name[4..], out var n) ? n : 1).DefaultIfEmpty(1).Max();
        return $"key-{highest + 1}";
    }

    private static (string Key, TenantKey Stored) NewKey(string name)
    {
        var key = "dpr_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (key, new TenantKey(name, key[..PrefixLength], Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))), DateTimeOffset.UtcNow));
    }

    /// <summary>Under the lock between processes: the file as it is now, changed by <paramref name="change"/>, written whole.</summary>
    private void Change(Action<List<Tenant>> change)
    {
        lock (_lock)
        {
            using var _ = DataFileLock.Acquire(_path);
            var tenants = Read(Stamp()).Tenants.ToList();
            change(tenants);
            var file = new TenantFile(TenantFile.CurrentVersion, [.. tenants.OrderBy(t => t.Name, StringComparer.Ordinal)]);
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(file, Json));
            File.Move(temporary, _path, overwrite: true);
            _snapshot = Read(Stamp());
        }
    }

    /// <summary>
    /// Reads the file again if its modification time or length changed since it was last read. File systems
    /// stamp modification times from a coarse clock (a few ms), so two writes of the same length within one
    /// tick look alike: as git does with its "racily clean" files, a snapshot read less than
    /// <see cref="RacyFor"/> after the file was written is read again, at most every <see cref="RacyRetry"/>,
    /// until a read comes later than that.
    /// </summary>
    private void Refresh()
    {
        var stamp = Stamp();
        if (UpToDate(_snapshot, stamp))
        {
            return;
        }
        lock (_lock)
        {
            if (UpToDate(_snapshot, stamp))
            {
                return;
            }
            try
            {
                _snapshot = Read(stamp);
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or IOException)
            {
                // A file edited by hand into something unreadable: keep the tenants known, say why once per change of the file.
                _log?.LogError("{Path} cannot be read ({Reason}); the tenants read before stay in force until it is fixed", _path, e.Message);
                _snapshot = _snapshot with { Stamp = stamp, Racy = false };
            }
        }
    }

    private static bool UpToDate(Snapshot snapshot, FileStamp stamp) =>
        stamp == snapshot.Stamp && !(snapshot.Racy && Environment.TickCount64 - snapshot.ReadAtTicks >= RacyRetry.TotalMilliseconds);

    private FileStamp Stamp()
    {
        var info = new FileInfo(_path);
        return info.Exists ? new FileStamp(info.LastWriteTimeUtc, info.Length) : FileStamp.Missing;
    }

    private Snapshot Read(FileStamp stamp)
    {
        if (stamp == FileStamp.Missing)
        {
            return Snapshot.Empty;
        }
        var racy = DateTime.UtcNow - stamp.Written < RacyFor;
        var tenants = Parse(File.ReadAllText(_path), _path);
        return Snapshot.Of(stamp, tenants) with { Racy = racy, ReadAtTicks = Environment.TickCount64 };
    }

    /// <summary>The current form (an object with a version and the tenants) or the first one (a list of tenants with one key hash each).</summary>
    internal static IReadOnlyList<Tenant> Parse(string text, string path)
    {
        using var document = JsonDocument.Parse(text);
        if (document.RootElement.ValueKind == JsonValueKind.Array)
        {
            var old = document.RootElement.Deserialize<List<FirstFormTenant>>(Json) ?? [];
            return [.. old.Select(t => new Tenant(
                t.Name ?? throw new InvalidDataException($"{path}: a tenant without a name"),
                t.Admin,
                t.Created,
                [new TenantKey(FirstKeyName, null, t.KeyHash ?? throw new InvalidDataException($"{path}: tenant '{t.Name}' has no keyHash"), t.Created)]))];
        }
        var file = document.RootElement.Deserialize<TenantFile>(Json) ?? throw new InvalidDataException($"{path}: expected the tenants");
        if (file.Version > TenantFile.CurrentVersion)
        {
            throw new InvalidDataException($"{path}: version {file.Version}, written by a newer dpr (this one reads up to {TenantFile.CurrentVersion})");
        }
        return file.Tenants ?? [];
    }

    [GeneratedRegex($"^{NamePattern}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    /// <summary>The file: <c>{"version": 2, "tenants": [...]}</c>.</summary>
    private sealed record TenantFile(int Version, IReadOnlyList<Tenant>? Tenants)
    {
        public const int CurrentVersion = 2;
    }

    /// <summary>A tenant as the first form of the file held it.</summary>
    private sealed record FirstFormTenant(string? Name, bool Admin, string? KeyHash, DateTimeOffset Created);

    private readonly record struct FileStamp(DateTime Written, long Length)
    {
        public static FileStamp Missing { get; } = new(DateTime.MinValue, -1);
    }

    /// <summary>The tenants as read at <see cref="Stamp"/>, and their keys by prefix for <see cref="Identify"/>.</summary>
    private sealed record Snapshot(
        FileStamp Stamp,
        IReadOnlyList<Tenant> Tenants,
        FrozenDictionary<string, (Tenant, TenantKey, byte[])[]> ByPrefix,
        (Tenant, TenantKey, byte[])[] Unprefixed)
    {
        /// <summary>Read so soon after the file was written that a later write in the same tick would look the same.</summary>
        public bool Racy { get; init; }

        public long ReadAtTicks { get; init; }

        public static Snapshot Empty { get; } = new(FileStamp.Missing, [], FrozenDictionary<string, (Tenant, TenantKey, byte[])[]>.Empty, []);

        public static Snapshot Of(FileStamp stamp, IReadOnlyList<Tenant> tenants)
        {
            var keys = tenants.SelectMany(t => t.Keys.Select(k => (Tenant: t, Key: k, Hash: Convert.FromHexString(k.Sha256)))).ToList();
            return new Snapshot(
                stamp,
                [.. tenants.OrderBy(t => t.Name, StringComparer.Ordinal)],
                keys.Where(k => k.Key.Prefix is not null).GroupBy(k => k.Key.Prefix!, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal),
                [.. keys.Where(k => k.Key.Prefix is null)]);
        }
    }
}
