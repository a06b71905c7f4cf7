// A crash deep inside templates, namespaces and classes, for demangled
// names: a catalog looks up a record in a hash table whose bucket chain
// ends in NULL; Table<int, Record>::find reads the key of the NULL slot
// (`mov eax, [rax]`, SIGSEGV at address 0).
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace storage {

struct Record {
    int id;
    std::string name;
};

namespace detail {

template <typename Key, typename Value>
class Table {
public:
    struct Slot {
        Key key;
        Value *value;
        Slot *next;
    };

    explicit Table(std::size_t buckets) : buckets_(buckets, nullptr) {}

    void insert(Slot *slot) { buckets_[bucket_of(slot->key)] = slot; }

    // Assumes the key is present: walks the chain until it finds it.
    const Value &find(const Key &key) const
    {
        const Slot *slot = buckets_[bucket_of(key)];
        while (slot->key != key) // CRASH-LINE
            slot = slot->next;
        return *slot->value;
    }

private:
    std::size_t bucket_of(const Key &key) const { return std::hash<Key>{}(key) % buckets_.size(); }

    std::vector<Slot *> buckets_;
};

}  // namespace detail

class Catalog {
public:
    Catalog() : table_(8) {}

    void add(detail::Table<int, Record>::Slot *slot) { table_.insert(slot); }

    template <typename Visitor>
    void visit(const std::vector<int> &ids, Visitor &&visitor) const
    {
        for (int id : ids)
            visitor(table_.find(id));
    }

private:
    detail::Table<int, Record> table_;
};

}  // namespace storage

int main()
{
    static storage::Record tool{1, "hammer"};
    static storage::detail::Table<int, storage::Record>::Slot slot{1, &tool, nullptr};
    storage::Catalog catalog;
    catalog.add(&slot);
    std::size_t total = 0;
    catalog.visit(std::vector<int>{1, 5}, [&](const storage::Record &r) { total += r.name.size(); });
    std::printf("total name length: %zu\n", total);
    return 0;
}
