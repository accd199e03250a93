// The store, handed to every component through React context (one store per page; tests build their own).
import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { AppActions, AppState, AppStore } from "./store";

export const StoreContext = createContext<AppStore | undefined>(undefined);

function useAppStoreApi(): AppStore {
  const store = useContext(StoreContext);
  if (store === undefined) throw new TypeError("a component used the store outside <StoreContext>");
  return store;
}

/** A slice of the store's state or actions; re-renders when the slice changes. */
export function useApp<T>(select: (state: AppState & AppActions) => T): T {
  return useStore(useAppStoreApi(), select);
}

/** The store itself, for event handlers that read the latest state without subscribing. */
export function useAppStore(): AppStore {
  return useAppStoreApi();
}
